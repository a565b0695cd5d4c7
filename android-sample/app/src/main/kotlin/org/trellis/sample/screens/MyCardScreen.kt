package org.trellis.sample.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.selection.selectableGroup
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Add
import androidx.compose.material.icons.filled.Remove
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.FilterChip
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.role
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.semantics.stateDescription
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import org.trellis.core.Openings
import org.trellis.sample.ui.ProfileFormat
import org.trellis.sample.ui.TrellisSession
import org.trellis.sample.ui.toggled
import org.trellis.sample.viewmodels.MyCardViewModel

/** Weeks a waitlist may be said to last: what the core takes (1 to 104). */
private val WAITLIST_WEEKS = 1..104

/**
 * My profile card, what colleagues (and, as a vCard, referral sources) read: whether I am
 * taking new clients, what I treat, whom I see and the ages, how I work, insurance panels and
 * self-pay fees, languages, where (a 3-digit ZIP and the states I offer telehealth in),
 * credentials and my pitch. Every list is a set of chips from the core's closed lists. When my
 * openings were last confirmed more than 30 days ago (or never), the screen opens with the
 * nudge "Are you still taking new clients?" and a button per answer, which confirms at once.
 * Saving is local; colleagues see the card after the next sync. A refused card (a ZIP that is
 * not 3 digits, a pitch too long) stores nothing and keeps what was typed, with the reason.
 */
@Composable
fun MyCardScreen(session: TrellisSession) {
    val vm: MyCardViewModel = viewModel { MyCardViewModel(session) }
    val state by vm.state.collectAsStateWithLifecycle()
    val d = state.draft
    val c = vm.choices
    LazyColumn(contentPadding = PaddingValues(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        if (state.nudge) {
            item { Nudge(current = state.profile?.card?.openings, onAnswer = vm::confirmOpenings) }
        }
        state.notice?.let { notice ->
            item { Text(notice, modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite }) }
        }
        item { Heading("Taking new clients?") }
        item { OpeningsPicker(d.openings) { o -> vm.edit { it.copy(openings = o) } } }
        item { Heading("What you treat") }
        item { Chips(c.specialties, d.specialties, ProfileFormat::label) { v -> vm.edit { it.copy(specialties = it.specialties.toggled(v)) } } }
        item { Heading("Who you see") }
        item { Chips(c.populations, d.populations, ProfileFormat::label) { v -> vm.edit { it.copy(populations = it.populations.toggled(v)) } } }
        item { Heading("Ages") }
        item { Chips(c.ageBands, d.ageBands, ProfileFormat::label) { v -> vm.edit { it.copy(ageBands = it.ageBands.toggled(v)) } } }
        item { Heading("How you work") }
        item { Chips(c.modalities, d.modalities, ProfileFormat::label) { v -> vm.edit { it.copy(modalities = it.modalities.toggled(v)) } } }
        item { Heading("Insurance panels") }
        item { Chips(c.panels, d.panels, ProfileFormat::label) { v -> vm.edit { it.copy(panels = it.panels.toggled(v)) } } }
        item { Heading("Self-pay fees") }
        item {
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedTextField(
                    d.feeMin,
                    { v -> vm.edit { it.copy(feeMin = v) } },
                    Modifier.weight(1f),
                    label = { Text("Lowest, $") },
                    singleLine = true,
                    keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Number),
                )
                OutlinedTextField(
                    d.feeMax,
                    { v -> vm.edit { it.copy(feeMax = v) } },
                    Modifier.weight(1f),
                    label = { Text("Highest, $") },
                    supportingText = { Text("Both empty: no self-pay") },
                    singleLine = true,
                    keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Number),
                )
            }
        }
        item { Heading("Languages") }
        item {
            // The core lists them by language code; the chips read better by name.
            Chips(c.languages.sortedBy(ProfileFormat::label), d.languages, ProfileFormat::label) { v ->
                vm.edit { it.copy(languages = it.languages.toggled(v)) }
            }
        }
        item { Heading("Where") }
        item {
            OutlinedTextField(
                d.zip3,
                { v -> vm.edit { it.copy(zip3 = v.take(3)) } },
                Modifier.fillMaxWidth(),
                label = { Text("In person: first 3 digits of the ZIP code") },
                supportingText = { Text("Never more than 3 digits: the card names an area, not an address. Empty: no office.") },
                singleLine = true,
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Number),
            )
        }
        item { Text("Telehealth in", style = MaterialTheme.typography.titleSmall) }
        item { Chips(c.usStates, d.telehealth, { it }) { v -> vm.edit { it.copy(telehealth = it.telehealth.toggled(v)) } } }
        item { Heading("Credentials") }
        item { Chips(c.credentials, d.credentials, ProfileFormat::label) { v -> vm.edit { it.copy(credentials = it.credentials.toggled(v)) } } }
        item { Heading("Your pitch") }
        item {
            OutlinedTextField(
                d.pitch,
                { v -> vm.edit { it.copy(pitch = v) } },
                Modifier.fillMaxWidth(),
                label = { Text("A few sentences for a referral source") },
                supportingText = { Text("About what you offer; no client names or details.") },
                minLines = 3,
            )
        }
        state.problem?.let { problem ->
            item { Text(problem, color = MaterialTheme.colorScheme.error, modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite }) }
        }
        item {
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                Button(onClick = vm::save, enabled = state.edited && !state.saving) { Text("Save my card") }
                TextButton(onClick = vm::discard, enabled = state.edited) { Text("Discard changes") }
            }
        }
    }
}

/**
 * "Are you still taking new clients?" with one button per answer: the current one ("Still
 * true"), taking new clients, not taking any. A different waitlist is picked below and saved.
 */
@Composable
private fun Nudge(current: Openings?, onAnswer: (Openings) -> Unit) {
    Card(
        Modifier.fillMaxWidth().semantics(mergeDescendants = false) { liveRegion = LiveRegionMode.Polite },
        colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.secondaryContainer),
    ) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(ProfileFormat.NUDGE, style = MaterialTheme.typography.titleMedium)
            current?.let { Text("Your card says: ${ProfileFormat.openings(it)}.") }
            if (current != null) {
                Button(onClick = { onAnswer(current) }) { Text("Still true") }
            }
            if (current !is Openings.Accepting) {
                OutlinedButton(onClick = { onAnswer(Openings.Accepting) }) { Text("Yes, taking new clients") }
            }
            if (current !is Openings.Full) {
                OutlinedButton(onClick = { onAnswer(Openings.Full) }) { Text("No, not taking new clients") }
            }
            Text("On a waitlist? Pick it below, with the weeks, and save.", style = MaterialTheme.typography.bodySmall)
        }
    }
}

/** Taking new clients, a waitlist of about N weeks (with − and +), or full: one radio group. */
@Composable
private fun OpeningsPicker(openings: Openings?, onPick: (Openings) -> Unit) {
    val weeks = (openings as? Openings.Waitlist)?.weeks?.toInt() ?: 4
    val options = listOf(Openings.Accepting, Openings.Waitlist(weeks.toUInt()), Openings.Full)
    Column(Modifier.selectableGroup()) {
        options.forEach { option ->
            val selected = when (option) {
                is Openings.Waitlist -> openings is Openings.Waitlist
                else -> openings == option
            }
            ListItem(
                headlineContent = { Text(ProfileFormat.openings(option)) },
                // The whole row is the radio button; the button itself only shows it.
                leadingContent = { RadioButton(selected = selected, onClick = null) },
                modifier = Modifier.selectable(selected = selected, role = Role.RadioButton, onClick = { onPick(option) }),
            )
        }
        if (openings is Openings.Waitlist) {
            Row(verticalAlignment = Alignment.CenterVertically, modifier = Modifier.padding(start = 16.dp)) {
                Text("Weeks", Modifier.weight(1f))
                IconButton(
                    onClick = { onPick(Openings.Waitlist((weeks - 1).toUInt())) },
                    enabled = weeks > WAITLIST_WEEKS.first,
                ) { Icon(Icons.Filled.Remove, contentDescription = "One week fewer") }
                Text("$weeks", Modifier.semantics { contentDescription = "About $weeks weeks" })
                IconButton(
                    onClick = { onPick(Openings.Waitlist((weeks + 1).toUInt())) },
                    enabled = weeks < WAITLIST_WEEKS.last,
                ) { Icon(Icons.Filled.Add, contentDescription = "One week more") }
            }
        }
    }
}

/** A closed list as chips, each ticked or not; TalkBack reads each as a checkbox. */
@OptIn(ExperimentalLayoutApi::class)
@Composable
private fun <T> Chips(all: List<T>, selected: Set<T>, label: (T) -> String, onToggle: (T) -> Unit) {
    FlowRow(horizontalArrangement = Arrangement.spacedBy(6.dp)) {
        all.forEach { value ->
            val on = value in selected
            FilterChip(
                selected = on,
                onClick = { onToggle(value) },
                label = { Text(label(value)) },
                modifier = Modifier.semantics {
                    role = Role.Checkbox
                    stateDescription = if (on) "ticked" else "not ticked"
                },
            )
        }
    }
}

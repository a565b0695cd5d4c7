package org.trellis.sample.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.FilterChip
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import org.trellis.core.AgeBand
import org.trellis.core.Fit
import org.trellis.core.Need
import org.trellis.core.Outcome
import org.trellis.core.Service
import org.trellis.core.Specialty
import org.trellis.core.Urgency
import org.trellis.sample.ui.ExchangeFormat
import org.trellis.sample.ui.ProfileFormat
import org.trellis.sample.ui.TrellisSession
import org.trellis.sample.viewmodels.ExchangeViewModel

/**
 * The regional referral exchange: the current region's needs (those that fit my card first,
 * "fits you"), a short form to post one (facets only; the core refuses a text that names
 * anyone), Yes / Waitlist / No on a colleague's open post, and on mine its replies and
 * "Connected with …" to close it (recorded in the practice as a referral sent).
 */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun ExchangeScreen(session: TrellisSession) {
    val vm: ExchangeViewModel = viewModel { ExchangeViewModel(session) }
    val state by vm.state.collectAsStateWithLifecycle()
    var ageBand by rememberSaveable { mutableStateOf(AgeBand.ADULT) }
    var specialty by rememberSaveable { mutableStateOf(Specialty.ANXIETY) }
    var urgency by rememberSaveable { mutableStateOf(Urgency.ROUTINE) }
    var text by rememberSaveable { mutableStateOf("") }
    var connectedWith by rememberSaveable { mutableStateOf("") }
    LazyColumn(contentPadding = PaddingValues(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        item { Heading(state.region?.let { "Exchange · $it" } ?: "Exchange") }
        if (state.region == null) {
            item { Text("This phone is in no region yet: a colleague invites you to one.") }
        }
        item { OutlinedButton(onClick = { vm.sync() }) { Text("Sync region") } }
        if (state.recorded > 0UL) {
            item { Text("Recorded ${state.recorded} referral(s) in your practice.") }
        }
        state.problem?.let { item { Text(it, color = MaterialTheme.colorScheme.error) } }

        item { Heading("Post a need") }
        item {
            FlowRow(horizontalArrangement = Arrangement.spacedBy(4.dp)) {
                AgeBand.entries.forEach { a -> FilterChip(ageBand == a, { ageBand = a }, { Text(ProfileFormat.label(a)) }) }
            }
        }
        item {
            FlowRow(horizontalArrangement = Arrangement.spacedBy(4.dp)) {
                Specialty.entries.forEach { s -> FilterChip(specialty == s, { specialty = s }, { Text(ProfileFormat.label(s)) }) }
            }
        }
        item {
            Row(horizontalArrangement = Arrangement.spacedBy(4.dp)) {
                Urgency.entries.forEach { u -> FilterChip(urgency == u, { urgency = u }, { Text(u.name.lowercase()) }) }
            }
        }
        item {
            OutlinedTextField(text, { text = it }, Modifier.fillMaxWidth(), label = { Text("A short text (no names, dates or numbers)") })
        }
        item {
            Button(
                enabled = state.region != null,
                onClick = {
                    val need = Need(
                        Service.INDIVIDUAL, ageBand, listOf(specialty), emptyList(), null, null, null, null, null,
                        urgency, text.ifBlank { null },
                    )
                    vm.post(need) { posted -> if (posted) text = "" }
                },
            ) { Text("Post") }
        }

        item { Heading("Needs in the region") }
        items(state.posts, key = { it.id }) { p ->
            ListItem(
                headlineContent = { Text(ExchangeFormat.headline(p)) },
                supportingContent = {
                    Text(listOfNotNull(p.author, p.status, p.notice, p.need.text).joinToString(" · "))
                },
            )
            if (p.status == "open" && !p.mine) {
                Row(horizontalArrangement = Arrangement.spacedBy(4.dp)) {
                    TextButton(onClick = { vm.reply(p.id, Fit.YES, null) }) { Text("Yes") }
                    TextButton(onClick = { vm.reply(p.id, Fit.WAITLIST, null) }) { Text("Waitlist") }
                    TextButton(onClick = { vm.reply(p.id, Fit.NO, null) }) { Text("Not a fit") }
                }
            }
            if (p.mine) {
                Row(horizontalArrangement = Arrangement.spacedBy(4.dp)) {
                    TextButton(onClick = { vm.openReplies(p.id) }) { Text("Replies (${p.replies})") }
                    if (p.status == "open") {
                        TextButton(onClick = { vm.close(p.id, Outcome.WITHDRAWN, null) }) { Text("Withdraw") }
                    }
                }
                val open = state.replies
                if (open != null && open.first == p.id) {
                    open.second.forEach { r ->
                        TextButton(onClick = { connectedWith = r.member }) { Text(ExchangeFormat.reply(r)) }
                    }
                    if (p.status == "open") {
                        OutlinedTextField(connectedWith, { connectedWith = it }, Modifier.fillMaxWidth(), label = { Text("Connected with") })
                        Button(
                            enabled = connectedWith.isNotBlank(),
                            onClick = { vm.close(p.id, Outcome.CONNECTED, connectedWith) },
                        ) { Text("Close as connected") }
                    }
                }
            }
        }
    }
}

package org.trellis.sample.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.FilterChip
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.selectableGroup
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.semantics.stateDescription
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import org.trellis.core.ReferralDirection
import org.trellis.sample.ui.TrellisSession
import org.trellis.sample.viewmodels.ReferralsViewModel

/** Referrals received and sent, and a quick form to record one (kept across rotation). */
@Composable
fun ReferralsScreen(session: TrellisSession) {
    val vm: ReferralsViewModel = viewModel { ReferralsViewModel(session) }
    val state by vm.state.collectAsStateWithLifecycle()
    var direction by rememberSaveable { mutableStateOf(ReferralDirection.RECEIVED) }
    var partner by rememberSaveable { mutableStateOf("") }
    var reason by rememberSaveable { mutableStateOf("") }
    var note by rememberSaveable { mutableStateOf("") }
    LazyColumn(contentPadding = PaddingValues(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        item { Heading("Record a referral") }
        item {
            // Two chips, one choice: announced as a group, each chip with its selection.
            Row(Modifier.semantics { selectableGroup() }, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                FilterChip(
                    direction == ReferralDirection.RECEIVED,
                    { direction = ReferralDirection.RECEIVED },
                    { Text("Received") },
                    Modifier.semantics { stateDescription = if (direction == ReferralDirection.RECEIVED) "Selected" else "Not selected" },
                )
                FilterChip(
                    direction == ReferralDirection.SENT,
                    { direction = ReferralDirection.SENT },
                    { Text("Sent") },
                    Modifier.semantics { stateDescription = if (direction == ReferralDirection.SENT) "Selected" else "Not selected" },
                )
            }
        }
        item { OutlinedTextField(partner, { partner = it }, Modifier.fillMaxWidth(), label = { Text("From or to (contact or place)") }) }
        item { OutlinedTextField(reason, { reason = it }, Modifier.fillMaxWidth(), label = { Text("Reason") }) }
        if (state.reasons.isNotEmpty()) {
            item {
                Row(horizontalArrangement = Arrangement.spacedBy(4.dp)) {
                    state.reasons.take(4).forEach { r -> FilterChip(reason == r, { reason = r }, { Text(r) }) }
                }
            }
        }
        item { OutlinedTextField(note, { note = it }, Modifier.fillMaxWidth(), label = { Text("Note (no client details)") }) }
        state.problem?.let { item { Text(it, color = MaterialTheme.colorScheme.error) } }
        item {
            Button(
                onClick = {
                    vm.record(direction, partner, reason, note) { saved ->
                        if (saved) {
                            partner = ""
                            reason = ""
                            note = ""
                        }
                    }
                },
                enabled = partner.isNotBlank() && reason.isNotBlank(),
            ) { Text("Save referral") }
        }
        item { Heading("Referrals") }
        items(state.referrals, key = { it.id }) { r ->
            val arrow = if (r.direction == ReferralDirection.RECEIVED) "from" else "to"
            ListItem(
                headlineContent = { Text("${r.reason} $arrow ${r.contact ?: r.organization ?: "?"}") },
                supportingContent = { Text("${r.day} · ${r.status.name.lowercase()} · ${r.recordedBy}") },
            )
        }
    }
}

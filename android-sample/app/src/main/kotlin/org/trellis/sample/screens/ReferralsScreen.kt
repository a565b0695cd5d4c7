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
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.trellis.core.ChangeKind
import org.trellis.core.ReferralDirection
import org.trellis.sample.ui.ReferralsModel
import org.trellis.sample.ui.TrellisSession

/** Referrals received and sent, and a quick form to record one. */
@Composable
fun ReferralsScreen(session: TrellisSession) {
    val model = remember(session) { ReferralsModel(session.store) }
    RefreshOn(session, ChangeKind.REFERRALS, ChangeKind.WORKSPACE) { model.refresh() }
    val state by model.state.collectAsStateWithLifecycle()
    var direction by remember { mutableStateOf(ReferralDirection.RECEIVED) }
    var partner by remember { mutableStateOf("") }
    var reason by remember { mutableStateOf("") }
    var note by remember { mutableStateOf("") }
    LazyColumn(contentPadding = PaddingValues(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        item { Text("Record a referral", style = MaterialTheme.typography.titleMedium) }
        item {
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                FilterChip(direction == ReferralDirection.RECEIVED, { direction = ReferralDirection.RECEIVED }, { Text("Received") })
                FilterChip(direction == ReferralDirection.SENT, { direction = ReferralDirection.SENT }, { Text("Sent") })
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
                    if (model.record(direction, partner, reason, note)) {
                        partner = ""
                        reason = ""
                        note = ""
                    }
                },
                enabled = partner.isNotBlank() && reason.isNotBlank(),
            ) { Text("Save referral") }
        }
        item { Text("Referrals", style = MaterialTheme.typography.titleMedium) }
        items(state.referrals, key = { it.id }) { r ->
            val arrow = if (r.direction == ReferralDirection.RECEIVED) "from" else "to"
            ListItem(
                headlineContent = { Text("${r.reason} $arrow ${r.contact ?: r.organization ?: "?"}") },
                supportingContent = { Text("${r.day} · ${r.status.name.lowercase()} · ${r.recordedBy}") },
            )
        }
    }
}

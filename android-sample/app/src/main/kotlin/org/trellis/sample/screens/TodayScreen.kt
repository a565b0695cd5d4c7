package org.trellis.sample.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Card
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import java.time.LocalDate
import java.time.ZoneId
import org.trellis.core.ChangeKind
import org.trellis.core.FollowUp
import org.trellis.sample.ui.Format
import org.trellis.sample.ui.TodayModel
import org.trellis.sample.ui.TrellisSession

/** Today: follow-ups due, and this week's networking minutes against the goal. */
@Composable
fun TodayScreen(session: TrellisSession) {
    val model = remember(session) { TodayModel(session.store) }
    RefreshOn(session, ChangeKind.FOLLOW_UPS, ChangeKind.ACTIVITIES, ChangeKind.WORKSPACE) { model.refresh() }
    val state by model.state.collectAsStateWithLifecycle()
    LazyColumn(contentPadding = PaddingValues(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        item { Text(state.practice, style = MaterialTheme.typography.headlineSmall) }
        state.problem?.let { problem -> item { Text(problem, color = MaterialTheme.colorScheme.error) } }
        item {
            Card(Modifier.fillMaxWidth()) {
                Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                    Text("Networking this week", style = MaterialTheme.typography.titleMedium)
                    LinearProgressIndicator(progress = { state.progress }, modifier = Modifier.fillMaxWidth())
                    Text(state.weekLine)
                }
            }
        }
        item { Text("Due", style = MaterialTheme.typography.titleMedium) }
        if (state.due.isEmpty()) item { Text("Nothing due. Nice.") }
        items(state.due, key = { it.id }) { FollowUpRow(it, onDone = { model.complete(it) }) }
        if (state.upcoming.isNotEmpty()) item { Text("Coming up", style = MaterialTheme.typography.titleMedium) }
        items(state.upcoming, key = { it.id }) { FollowUpRow(it, onDone = { model.complete(it) }) }
    }
}

@Composable
private fun FollowUpRow(followUp: FollowUp, onDone: () -> Unit) {
    val zone = ZoneId.systemDefault()
    ListItem(
        headlineContent = { Text(Format.followUpTitle(followUp)) },
        supportingContent = {
            Text(listOfNotNull(Format.due(followUp.dueAt, LocalDate.now(zone), zone), followUp.note).joinToString(" · "))
        },
        trailingContent = { TextButton(onClick = onDone) { Text("Done") } },
    )
}

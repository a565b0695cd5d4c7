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
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import java.time.LocalDate
import java.time.ZoneId
import org.trellis.core.FollowUp
import org.trellis.sample.ui.Format
import org.trellis.sample.ui.TodayState
import org.trellis.sample.ui.TrellisSession
import org.trellis.sample.viewmodels.TodayViewModel

/** Today: follow-ups due (mine first, then my colleagues'), and this week's minutes against the goal. */
@Composable
fun TodayScreen(session: TrellisSession) {
    val vm: TodayViewModel = viewModel { TodayViewModel(session) }
    val state by vm.state.collectAsStateWithLifecycle()
    LazyColumn(contentPadding = PaddingValues(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        item { Text(state.practice, style = MaterialTheme.typography.headlineSmall, modifier = Modifier.semantics { heading() }) }
        state.problem?.let { problem -> item { Text(problem, color = MaterialTheme.colorScheme.error) } }
        item {
            Card(Modifier.fillMaxWidth()) {
                Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                    Text("Networking this week", style = MaterialTheme.typography.titleMedium)
                    LinearProgressIndicator(
                        progress = { state.progress },
                        modifier = Modifier.fillMaxWidth().semantics { contentDescription = "Weekly goal: ${state.weekLine}" },
                    )
                    Text(state.weekLine)
                }
            }
        }
        item { Heading("Due") }
        if (state.due.isEmpty()) item { Text("Nothing due. Nice.") }
        items(state.due, key = { it.id }) { FollowUpRow(it, state, onDone = { vm.complete(it) }) }
        if (state.upcoming.isNotEmpty()) item { Heading("Coming up") }
        items(state.upcoming, key = { it.id }) { FollowUpRow(it, state, onDone = { vm.complete(it) }) }
    }
}

@Composable
internal fun Heading(text: String) {
    Text(text, style = MaterialTheme.typography.titleMedium, modifier = Modifier.semantics { heading() })
}

@Composable
private fun FollowUpRow(followUp: FollowUp, state: TodayState, onDone: () -> Unit) {
    val zone = ZoneId.systemDefault()
    val title = Format.followUpTitle(followUp)
    ListItem(
        headlineContent = { Text(title) },
        supportingContent = {
            // A colleague's follow-up says whose it is: "Sam's · due tomorrow".
            Text(listOfNotNull(state.owner(followUp), Format.due(followUp.dueAt, LocalDate.now(zone), zone), followUp.note).joinToString(" · "))
        },
        trailingContent = {
            TextButton(onClick = onDone, modifier = Modifier.semantics { contentDescription = "Mark done: $title" }) { Text("Done") }
        },
    )
}

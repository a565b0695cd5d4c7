package org.trellis.sample.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import org.trellis.core.TrellisException
import org.trellis.core.notePrivacyHint
import org.trellis.sample.ui.Format
import org.trellis.sample.ui.TrellisSession
import org.trellis.sample.viewmodels.ContactViewModel

/** What to know before a visit: needs, the pitch for their category, history and notes. */
@Composable
fun ContactScreen(session: TrellisSession, contactId: String) {
    val vm: ContactViewModel = viewModel(key = "contact-$contactId") { ContactViewModel(session, contactId) }
    val loaded by vm.state.collectAsStateWithLifecycle()
    val result = loaded ?: return
    val page = result.getOrElse { e ->
        Text((e as? TrellisException)?.let(Format::problem) ?: "This contact cannot be shown.")
        return
    }
    val c = page.detail.contact
    var note by rememberSaveable { mutableStateOf("") }
    var problem by remember { mutableStateOf<String?>(null) }
    LazyColumn(contentPadding = PaddingValues(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        item { Text(c.name, style = MaterialTheme.typography.headlineSmall, modifier = Modifier.semantics { heading() }) }
        item { Text(listOfNotNull(c.role, c.organization).joinToString(" · ")) }
        item { Text("Last touch ${page.detail.daysSinceTouch} days ago") }
        c.needs?.let { item { Section("What they need", it) } }
        c.howWeHelp?.let { item { Section("How we help", it) } }
        page.detail.pitch?.let { item { Section("Your pitch", it) } }
        if (page.detail.followups.isNotEmpty()) item { Heading("Open follow-ups") }
        items(page.detail.followups, key = { it.id }) { ListItem(headlineContent = { Text(Format.followUpTitle(it)) }) }
        item { Heading("History") }
        items(page.history, key = { it.id }) { a ->
            ListItem(
                headlineContent = { Text("${a.organization ?: "Visit"} · ${Format.minutes(a.minutes.toInt())}") },
                supportingContent = { Text(listOfNotNull(a.at.take(10), a.note).joinToString(" · ")) },
            )
        }
        item { Heading("Notes") }
        items(page.detail.notes) { n -> ListItem(headlineContent = { Text(n.text) }, supportingContent = { Text(n.at.take(10)) }) }
        item {
            OutlinedTextField(
                value = note,
                onValueChange = { note = it },
                label = { Text("Add a note") },
                supportingText = { Text(problem ?: notePrivacyHint()) },
                isError = problem != null,
                modifier = Modifier.fillMaxWidth(),
            )
        }
        item {
            Button(onClick = {
                vm.addNote(note) { p ->
                    problem = p
                    if (p == null) note = ""
                }
            }, enabled = note.isNotBlank()) { Text("Add note") }
        }
    }
}

@Composable
private fun Section(title: String, body: String) {
    Heading(title)
    Text(body)
}

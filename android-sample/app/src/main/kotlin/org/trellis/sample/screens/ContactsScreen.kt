package org.trellis.sample.screens

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.createSavedStateHandle
import androidx.lifecycle.viewmodel.compose.viewModel
import org.trellis.sample.ui.TrellisSession
import org.trellis.sample.viewmodels.ContactsViewModel

/** Contacts by name, with full-text search over names, needs and notes. */
@Composable
fun ContactsScreen(session: TrellisSession, onOpen: (String) -> Unit) {
    val vm: ContactsViewModel = viewModel { ContactsViewModel(session, createSavedStateHandle()) }
    val state by vm.state.collectAsStateWithLifecycle()
    Column(Modifier.padding(16.dp)) {
        OutlinedTextField(
            value = state.query,
            onValueChange = vm::search,
            label = { Text("Search contacts, needs, notes") },
            singleLine = true,
            modifier = Modifier.fillMaxWidth(),
        )
        state.problem?.let { Text(it, color = MaterialTheme.colorScheme.error) }
        LazyColumn {
            items(state.rows, key = { it.id }) { row ->
                ListItem(
                    headlineContent = { Text(row.name) },
                    supportingContent = { Text(row.subtitle) },
                    modifier = Modifier.clickable(onClickLabel = "Open ${row.name}", role = Role.Button) { onOpen(row.id) },
                )
            }
        }
    }
}

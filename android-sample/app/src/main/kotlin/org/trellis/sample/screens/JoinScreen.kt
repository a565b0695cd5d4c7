package org.trellis.sample.screens

import android.content.ClipboardManager
import android.content.Context
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import androidx.lifecycle.createSavedStateHandle
import org.trellis.sample.ui.JoinState
import org.trellis.sample.ui.TrellisSession
import org.trellis.sample.viewmodels.JoinViewModel

/** A phone in no practice yet: join one with an invite code, or start one. */
@Composable
fun WelcomeScreen(session: TrellisSession, onInPractice: () -> Unit) {
    var starting by rememberSaveable { mutableStateOf(false) }
    if (starting) {
        StartPracticeScreen(session, onCreated = onInPractice, onBack = { starting = false })
    } else {
        JoinScreen(session, onJoined = onInPractice, onStartInstead = { starting = true })
    }
}

/**
 * Joining a practice: your name and the invite code a colleague sent (paste it, or scan their
 * QR code with the camera and paste what it reads). The join runs in the view model, so turning
 * the phone while it talks to the relay does not cancel it.
 */
@Composable
fun JoinScreen(session: TrellisSession, onJoined: () -> Unit, onStartInstead: () -> Unit) {
    val vm: JoinViewModel = viewModel { JoinViewModel(session, createSavedStateHandle()) }
    val state by vm.state.collectAsStateWithLifecycle()
    val name by vm.name.collectAsStateWithLifecycle()
    val code by vm.code.collectAsStateWithLifecycle()
    val context = LocalContext.current
    LaunchedEffect(state) {
        if (state is JoinState.Joined) onJoined()
    }
    Column(
        Modifier.padding(24.dp).verticalScroll(rememberScrollState()),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text("Join your practice", style = MaterialTheme.typography.headlineSmall)
        OutlinedTextField(name, vm::setName, Modifier.fillMaxWidth(), label = { Text("Your name") }, singleLine = true)
        OutlinedTextField(code, vm::setCode, Modifier.fillMaxWidth(), label = { Text("Invite code") }, minLines = 3)
        OutlinedButton(onClick = { pasted(context)?.let(vm::setCode) }) { Text("Paste invite code") }
        (state as? JoinState.Failed)?.let {
            Text(it.problem, color = MaterialTheme.colorScheme.error, modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite })
        }
        if (state is JoinState.Joining) {
            CircularProgressIndicator(Modifier.semantics { contentDescription = "Joining" })
        } else {
            Button(
                onClick = vm::join,
                enabled = name.isNotBlank() && code.isNotBlank(),
                modifier = Modifier.fillMaxWidth(),
            ) { Text("Join") }
        }
        TextButton(onClick = onStartInstead) { Text("No invite? Start a new practice") }
    }
}

private fun pasted(context: Context): String? {
    val clipboard = context.getSystemService(ClipboardManager::class.java) ?: return null
    return clipboard.primaryClip?.takeIf { it.itemCount > 0 }?.getItemAt(0)?.coerceToText(context)?.toString()
}

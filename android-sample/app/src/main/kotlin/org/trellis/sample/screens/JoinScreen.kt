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
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import androidx.lifecycle.createSavedStateHandle
import org.trellis.sample.ui.JoinModel
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
 * the phone while it talks to the relay does not cancel it. Once joined, the phone waits for a
 * colleague's device to let it in ([WaitingForKeys]).
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
    val waiting = state as? JoinState.AwaitingKeys
    if (waiting != null) {
        WaitingForKeys(waiting, onSyncNow = vm::syncNow)
        return
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

/**
 * Joined, and waiting for a colleague's device (the one that made the invite, or an owner's or
 * admin's) to let this phone in, which it does when it next syncs. "Sync now" looks again; the
 * screen also moves on by itself when a background sync takes the keys. No name of anyone here:
 * the practice's name arrives with its keys.
 */
@Composable
private fun WaitingForKeys(state: JoinState.AwaitingKeys, onSyncNow: () -> Unit) {
    Column(
        Modifier.padding(24.dp).verticalScroll(rememberScrollState()),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(
            JoinModel.WAITING_TEXT,
            style = MaterialTheme.typography.headlineSmall,
            modifier = Modifier.semantics { heading() },
        )
        Text(JoinModel.WAITING_HINT, style = MaterialTheme.typography.bodyMedium)
        state.problem?.let {
            Text(it, color = MaterialTheme.colorScheme.error, modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite })
        }
        if (state.checking) {
            CircularProgressIndicator(Modifier.semantics { contentDescription = "Checking whether this phone was let in" })
        } else {
            Button(onClick = onSyncNow, modifier = Modifier.fillMaxWidth()) { Text("Sync now") }
        }
    }
}

private fun pasted(context: Context): String? {
    val clipboard = context.getSystemService(ClipboardManager::class.java) ?: return null
    return clipboard.primaryClip?.takeIf { it.itemCount > 0 }?.getItemAt(0)?.coerceToText(context)?.toString()
}

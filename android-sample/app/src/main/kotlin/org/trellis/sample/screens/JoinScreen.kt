package org.trellis.sample.screens

import android.content.ClipboardManager
import android.content.Context
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import kotlinx.coroutines.launch
import org.trellis.sample.ui.JoinModel
import org.trellis.sample.ui.JoinState
import org.trellis.sample.ui.TrellisSession

/** Joining a practice: your name and the invite code a colleague sent (paste it). */
@Composable
fun JoinScreen(session: TrellisSession, onJoined: () -> Unit) {
    val model = remember(session) { JoinModel(session.store) }
    val state by model.state.collectAsStateWithLifecycle()
    val scope = rememberCoroutineScope()
    val context = LocalContext.current
    var name by remember { mutableStateOf("") }
    var code by remember { mutableStateOf("") }
    LaunchedEffect(state) {
        if (state is JoinState.Joined) {
            session.startLiveSync()
            onJoined()
        }
    }
    Column(Modifier.padding(24.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        Text("Join your practice", style = MaterialTheme.typography.headlineSmall)
        OutlinedTextField(name, { name = it }, Modifier.fillMaxWidth(), label = { Text("Your name") }, singleLine = true)
        OutlinedTextField(code, { code = it }, Modifier.fillMaxWidth(), label = { Text("Invite code") }, minLines = 3)
        OutlinedButton(onClick = { pasted(context)?.let { code = it } }) { Text("Paste invite code") }
        (state as? JoinState.Failed)?.let { Text(it.problem, color = MaterialTheme.colorScheme.error) }
        if (state is JoinState.Joining) {
            CircularProgressIndicator()
        } else {
            Button(
                onClick = { scope.launch { model.join(name, code) } },
                enabled = name.isNotBlank() && code.isNotBlank(),
                modifier = Modifier.fillMaxWidth(),
            ) { Text("Join") }
        }
    }
}

private fun pasted(context: Context): String? {
    val clipboard = context.getSystemService(ClipboardManager::class.java) ?: return null
    return clipboard.primaryClip?.takeIf { it.itemCount > 0 }?.getItemAt(0)?.coerceToText(context)?.toString()
}

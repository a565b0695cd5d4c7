package org.trellis.sample.screens

import android.content.Intent
import android.graphics.Bitmap
import android.graphics.Color
import androidx.compose.foundation.Image
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.selection.selectableGroup
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.Role as SemanticsRole
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.createSavedStateHandle
import androidx.lifecycle.viewmodel.compose.viewModel
import com.google.zxing.BarcodeFormat
import com.google.zxing.EncodeHintType
import com.google.zxing.qrcode.QRCodeWriter
import org.trellis.core.Role
import org.trellis.sample.ui.PracticeState
import org.trellis.sample.ui.TrellisSession
import org.trellis.sample.viewmodels.PracticeViewModel

/**
 * Starting a practice from the phone: your name, the practice's name and, to share it with
 * colleagues, the relay's address and its operator's signup secret. Without a relay the
 * practice stays on this phone (it can be connected later with the CLI).
 */
@Composable
fun StartPracticeScreen(session: TrellisSession, onCreated: () -> Unit, onBack: () -> Unit) {
    val vm: PracticeViewModel = viewModel { PracticeViewModel(session, createSavedStateHandle()) }
    val state by vm.state.collectAsStateWithLifecycle()
    val you by vm.yourName.collectAsStateWithLifecycle()
    val practice by vm.practice.collectAsStateWithLifecycle()
    val relay by vm.relayUrl.collectAsStateWithLifecycle()
    var secret by remember { mutableStateOf("") }
    LaunchedEffect(state) {
        if (state is PracticeState.Created) onCreated()
    }
    Column(
        Modifier.padding(24.dp).verticalScroll(rememberScrollState()),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text("Start a practice", style = MaterialTheme.typography.headlineSmall)
        OutlinedTextField(you, vm::setYourName, Modifier.fillMaxWidth(), label = { Text("Your name") }, singleLine = true)
        OutlinedTextField(practice, vm::setPractice, Modifier.fillMaxWidth(), label = { Text("Practice name") }, singleLine = true)
        Text("To invite colleagues, the practice needs a relay:", style = MaterialTheme.typography.bodyMedium)
        OutlinedTextField(relay, vm::setRelayUrl, Modifier.fillMaxWidth(), label = { Text("Relay address (optional)") }, singleLine = true)
        OutlinedTextField(
            secret,
            { secret = it },
            Modifier.fillMaxWidth(),
            label = { Text("Relay signup secret") },
            singleLine = true,
            enabled = relay.isNotBlank(),
            visualTransformation = PasswordVisualTransformation(),
        )
        (state as? PracticeState.Failed)?.let {
            Text(it.problem, color = MaterialTheme.colorScheme.error, modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite })
        }
        if (state is PracticeState.Working) {
            CircularProgressIndicator(Modifier.semantics { contentDescription = "Creating the practice" })
        } else {
            Button(
                onClick = { vm.create(secret) },
                enabled = you.isNotBlank() && practice.isNotBlank() && (relay.isBlank() || secret.isNotBlank()),
                modifier = Modifier.fillMaxWidth(),
            ) { Text("Create practice") }
        }
        TextButton(onClick = onBack) { Text("I have an invite code") }
    }
}

private val roles = listOf(Role.MEMBER to "Member", Role.ADMIN to "Admin (can invite too)")

/**
 * Inviting a colleague: a single-use code from the relay, shared through the share sheet
 * (messages, mail) or shown as a QR code to scan across the table. The code holds no key:
 * this phone lets the colleague's in at its next sync after the join. Still, share it only with
 * the person it is for (it lets one device in); Members lists it until then, with Cancel.
 */
@Composable
fun InviteScreen(session: TrellisSession) {
    val vm: PracticeViewModel = viewModel { PracticeViewModel(session, createSavedStateHandle()) }
    val state by vm.state.collectAsStateWithLifecycle()
    var role by rememberSaveable { mutableStateOf(Role.MEMBER) }
    val context = LocalContext.current
    Column(
        Modifier.padding(24.dp).verticalScroll(rememberScrollState()),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text("Invite a colleague", style = MaterialTheme.typography.headlineSmall)
        val invite = state as? PracticeState.Invite
        if (invite == null) {
            Column(Modifier.selectableGroup()) {
                roles.forEach { (r, label) ->
                    Row(
                        Modifier.fillMaxWidth()
                            .selectable(selected = role == r, onClick = { role = r }, role = SemanticsRole.RadioButton)
                            .padding(vertical = 8.dp),
                        verticalAlignment = Alignment.CenterVertically,
                    ) {
                        RadioButton(selected = role == r, onClick = null) // the row handles the tap
                        Text(label, Modifier.padding(start = 12.dp))
                    }
                }
            }
            (state as? PracticeState.Failed)?.let {
                Text(it.problem, color = MaterialTheme.colorScheme.error, modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite })
            }
            if (state is PracticeState.Working) {
                CircularProgressIndicator(Modifier.semantics { contentDescription = "Asking the relay for an invite" })
            } else {
                Button(onClick = { vm.invite(role) }, modifier = Modifier.fillMaxWidth()) { Text("Make an invite code") }
            }
        } else {
            val qr = remember(invite.code) { qrBitmap(invite.code, 768) }
            Image(
                qr.asImageBitmap(),
                contentDescription = "QR code of the invite to ${invite.practice}",
                modifier = Modifier.size(280.dp).align(Alignment.CenterHorizontally),
            )
            Text("Single use, for 72 hours. It holds no key: once your colleague joins with it, this phone lets theirs in when it next syncs. Share it only with the colleague it is for; an invite that went astray can be cancelled on Members.")
            Button(
                onClick = {
                    val send = Intent(Intent.ACTION_SEND).setType("text/plain").putExtra(Intent.EXTRA_TEXT, invite.text)
                    context.startActivity(Intent.createChooser(send, "Share the invite"))
                },
                modifier = Modifier.fillMaxWidth(),
            ) { Text("Share invite") }
            OutlinedButton(onClick = vm::dismiss, modifier = Modifier.fillMaxWidth()) { Text("Make another") }
        }
    }
}

/** The invite code as a black-on-white QR code, [size] pixels square. */
private fun qrBitmap(text: String, size: Int): Bitmap {
    val matrix = QRCodeWriter().encode(text, BarcodeFormat.QR_CODE, size, size, mapOf(EncodeHintType.MARGIN to 2))
    val pixels = IntArray(size * size) { i -> if (matrix[i % size, i / size]) Color.BLACK else Color.WHITE }
    return Bitmap.createBitmap(pixels, size, size, Bitmap.Config.ARGB_8888)
}

package org.trellis.sample.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import java.time.Instant
import org.trellis.core.InviteView
import org.trellis.core.MemberView
import org.trellis.core.Profile
import org.trellis.sample.ui.MembersFormat
import org.trellis.sample.ui.MembersModel
import org.trellis.sample.ui.ProfileFormat
import org.trellis.sample.ui.TrellisSession
import org.trellis.sample.viewmodels.MembersViewModel

/**
 * Members and their devices: this phone's fingerprint in large type (a colleague compares it
 * with what her phone shows for you), each device's fingerprint with whether this phone
 * verified it, the core's flag on a member with a device nobody here verified, and "Verify":
 * type the fingerprint a colleague's phone shows, read across the table. A mistyped one is
 * refused and nothing is recorded. A member whose profile card has synced here shows its
 * headline ("Taking new clients · Anxiety, ADHD"), and "Card" opens it ([onOpenCard], with her
 * member id). The roster's check failing shows as a warning on top. Last, the open invites
 * this member may cancel (owners and admins: all; a member: her own device invites), each with
 * "Cancel": a code that went astray then lets nobody in.
 */
@Composable
fun MembersScreen(session: TrellisSession, onOpenCard: (String) -> Unit) {
    val vm: MembersViewModel = viewModel { MembersViewModel(session) }
    val state by vm.state.collectAsStateWithLifecycle()
    // Which member's "Verify" form is open and what was typed there, kept across rotation.
    var verifying by rememberSaveable { mutableStateOf<String?>(null) }
    var typed by rememberSaveable { mutableStateOf("") }
    LazyColumn(contentPadding = PaddingValues(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        state.rosterProblem?.let { problem ->
            item {
                Text(
                    MembersFormat.rosterWarning(problem),
                    color = MaterialTheme.colorScheme.error,
                    modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite },
                )
            }
        }
        item { Heading("This phone's fingerprint") }
        item {
            Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
                Text(
                    state.fingerprint,
                    style = MaterialTheme.typography.headlineSmall,
                    fontFamily = FontFamily.Monospace,
                    modifier = Modifier.semantics {
                        contentDescription = "This phone's fingerprint: ${MembersFormat.spoken(state.fingerprint)}"
                    },
                )
                Text(
                    "A colleague checking you compares it with what her phone shows for you.",
                    style = MaterialTheme.typography.bodyMedium,
                )
            }
        }
        state.problem?.let { problem ->
            item {
                Text(problem, color = MaterialTheme.colorScheme.error, modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite })
            }
        }
        state.notice?.let { notice ->
            item { Text(notice, modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite }) }
        }
        item { Heading("Members") }
        if (state.loading && state.members.isEmpty()) {
            item { CircularProgressIndicator(Modifier.semantics { contentDescription = "Fetching the roster" }) }
        }
        items(state.members, key = { it.memberId }) { member ->
            MemberCard(
                member = member,
                card = state.cards[member.memberId],
                onOpenCard = { onOpenCard(member.memberId) },
                open = verifying == member.memberId,
                typed = typed,
                onType = { typed = it },
                onOpen = {
                    verifying = member.memberId
                    typed = ""
                },
                onCancel = { verifying = null },
                onVerify = {
                    vm.verify(member, typed) { problem ->
                        if (problem == null) {
                            verifying = null
                            typed = ""
                        }
                    }
                },
            )
        }
        item { Heading("Open invites") }
        if (state.invites.isEmpty() && !state.loading) {
            item { Text("No open invites.", style = MaterialTheme.typography.bodyMedium) }
        }
        items(state.invites, key = { it.inviteId }) { invite ->
            InviteRow(invite, onCancel = { vm.cancel(invite) })
        }
    }
}

/**
 * An open invite, named by its id only ("Invite 3f2a9c01 · a new member · made on this phone ·
 * expires in 3 days"), and its Cancel button.
 */
@Composable
private fun InviteRow(invite: InviteView, onCancel: () -> Unit) {
    Card(Modifier.fillMaxWidth()) {
        Row(
            Modifier.padding(16.dp),
            horizontalArrangement = Arrangement.spacedBy(8.dp),
            verticalAlignment = Alignment.CenterVertically,
        ) {
            Text(MembersFormat.invite(invite, Instant.now()), Modifier.weight(1f), style = MaterialTheme.typography.bodyMedium)
            OutlinedButton(
                onClick = onCancel,
                modifier = Modifier.semantics { contentDescription = "Cancel ${MembersFormat.inviteName(invite)}" },
            ) { Text("Cancel") }
        }
    }
}

@Composable
private fun MemberCard(
    member: MemberView,
    card: Profile?,
    onOpenCard: () -> Unit,
    open: Boolean,
    typed: String,
    onType: (String) -> Unit,
    onOpen: () -> Unit,
    onCancel: () -> Unit,
    onVerify: () -> Unit,
) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            val role = member.role.name.lowercase() + if (member.removed) ", removed" else ""
            Text("${member.name} ($role)", style = MaterialTheme.typography.titleMedium)
            MembersFormat.flag(member)?.let { Text(it, color = MaterialTheme.colorScheme.error) }
            // Her profile card, once it has synced to this phone: its headline, and "Card".
            card?.let { ProfileFormat.headline(it) }?.let { headline ->
                Row(verticalAlignment = Alignment.CenterVertically) {
                    Text(headline, Modifier.weight(1f), style = MaterialTheme.typography.bodyMedium)
                    TextButton(
                        onClick = onOpenCard,
                        modifier = Modifier.semantics { contentDescription = "${member.name}'s card" },
                    ) { Text("Card") }
                }
            }
            member.devices.forEach { d ->
                // One element for TalkBack: the device, its state and its fingerprint digit by digit.
                Column(
                    Modifier.semantics(mergeDescendants = true) {
                        contentDescription = "${MembersFormat.deviceName(d)}, ${MembersFormat.deviceStatus(d)}, " +
                            "fingerprint ${MembersFormat.spoken(d.fingerprint)}"
                    },
                ) {
                    Text("${MembersFormat.deviceName(d)} · ${MembersFormat.deviceStatus(d)}", style = MaterialTheme.typography.bodyMedium)
                    Text(d.fingerprint, fontFamily = FontFamily.Monospace, style = MaterialTheme.typography.bodyLarge)
                }
            }
            if (MembersModel.canVerify(member)) {
                if (open) {
                    OutlinedTextField(
                        typed,
                        onType,
                        Modifier.fillMaxWidth(),
                        label = { Text("Fingerprint") },
                        supportingText = { Text("The 20 digits ${member.name}'s phone shows as its own") },
                        singleLine = true,
                        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Number),
                    )
                    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        Button(onClick = onVerify, enabled = typed.isNotBlank()) { Text("Verify") }
                        TextButton(onClick = onCancel) { Text("Cancel") }
                    }
                } else {
                    OutlinedButton(
                        onClick = onOpen,
                        modifier = Modifier.semantics { contentDescription = "Verify ${member.name}'s device" },
                    ) { Text("Verify") }
                }
            }
        }
    }
}

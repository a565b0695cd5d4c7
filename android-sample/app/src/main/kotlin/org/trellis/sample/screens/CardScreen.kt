package org.trellis.sample.screens

import android.content.Intent
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import java.time.Instant
import org.trellis.core.TrellisException
import org.trellis.sample.ui.Format
import org.trellis.sample.ui.ProfileFormat
import org.trellis.sample.ui.TrellisSession
import org.trellis.sample.viewmodels.CardViewModel

/**
 * A colleague's profile card, opened from her row on Members: her name and credentials, whether
 * she is taking new clients (and when she last said so), then the parts she filled in. "Share
 * as a vCard" hands it to a referral source's address book through the share sheet.
 */
@Composable
fun CardScreen(session: TrellisSession, member: String) {
    val vm: CardViewModel = viewModel(key = "card-$member") { CardViewModel(session, member) }
    val loaded by vm.state.collectAsStateWithLifecycle()
    val context = LocalContext.current
    val result = loaded ?: return
    val profile = result.getOrElse { e ->
        Text((e as? TrellisException)?.let(Format::problem) ?: "This card cannot be shown.")
        return
    }
    LazyColumn(contentPadding = PaddingValues(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        item {
            Text(
                ProfileFormat.nameLine(profile),
                style = MaterialTheme.typography.headlineSmall,
                modifier = Modifier.semantics { heading() },
            )
        }
        if (ProfileFormat.isEmpty(profile.card)) {
            item { Text("${profile.name} has not filled in a card yet, or it has not synced to this phone.") }
        } else {
            items(ProfileFormat.lines(profile.card)) { (title, text) ->
                Column {
                    Heading(title)
                    Text(text)
                }
            }
            profile.card.openingsConfirmedAt?.let { at ->
                item {
                    Text(
                        "Openings confirmed ${Format.ago(at, Instant.now())}",
                        style = MaterialTheme.typography.bodySmall,
                    )
                }
            }
            item {
                OutlinedButton(onClick = {
                    vm.vcard { vcard ->
                        if (vcard != null) {
                            val send = Intent(Intent.ACTION_SEND)
                                .setType("text/vcard")
                                .putExtra(Intent.EXTRA_SUBJECT, "${profile.name}'s card")
                                .putExtra(Intent.EXTRA_TEXT, vcard)
                            context.startActivity(Intent.createChooser(send, "Share ${profile.name}'s card"))
                        }
                    }
                }) { Text("Share as a vCard") }
            }
        }
    }
}

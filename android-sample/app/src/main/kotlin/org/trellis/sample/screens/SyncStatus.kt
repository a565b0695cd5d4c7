package org.trellis.sample.screens

import androidx.compose.foundation.clickable
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.Role
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import java.time.Instant
import kotlinx.coroutines.launch
import org.trellis.core.TrellisException
import org.trellis.sample.ui.Format
import org.trellis.sample.ui.TrellisSession

/**
 * The sync status line ("Up to date · synced 2 min ago", "Offline · 3 changes waiting"); tap
 * it to sync now. Background sync keeps it moving while the app is open.
 */
@Composable
fun SyncStatusLine(session: TrellisSession) {
    val state by session.syncState.collectAsStateWithLifecycle()
    val scope = rememberCoroutineScope()
    Text(
        Format.syncLine(state, Instant.now()),
        style = MaterialTheme.typography.labelMedium,
        modifier = Modifier.clickable(onClickLabel = "Sync now", role = Role.Button) {
            scope.launch {
                try {
                    session.store.sync()
                } catch (e: TrellisException) {
                    // The listener already reports Offline or Failed to the status line.
                }
            }
        },
    )
}

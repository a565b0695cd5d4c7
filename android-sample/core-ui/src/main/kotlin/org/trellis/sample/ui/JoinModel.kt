package org.trellis.sample.ui

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import org.trellis.core.TrellisException
import org.trellis.core.TrellisStore
import org.trellis.core.WorkspaceInfo

/** Where joining is. */
sealed interface JoinState {
    /** Waiting for a name and a code. */
    data object Idle : JoinState

    /** Talking to the relay. */
    data object Joining : JoinState

    /** Joined and synced. */
    data class Joined(val workspace: WorkspaceInfo) : JoinState

    /** Refused or failed; [problem] says why. */
    data class Failed(val problem: String) : JoinState
}

/** Joining a practice by pasting (or scanning) an invite code. */
class JoinModel(private val store: TrellisStore) {
    private val _state = MutableStateFlow<JoinState>(JoinState.Idle)

    /** The screen's state. */
    val state: StateFlow<JoinState> = _state.asStateFlow()

    /**
     * Sets up this phone for [name] if needed, joins with the pasted [code] (trimmed of the
     * whitespace a chat app adds) and pulls the practice's data.
     */
    suspend fun join(name: String, code: String) {
        _state.value = JoinState.Joining
        _state.value = try {
            try {
                store.device()
            } catch (e: TrellisException.NotInitialized) {
                store.init(name)
            }
            val ws = store.join(code.trim())
            store.sync()
            JoinState.Joined(ws)
        } catch (e: TrellisException) {
            JoinState.Failed(Format.problem(e))
        }
    }
}

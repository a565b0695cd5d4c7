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

    /**
     * Joined, and waiting for a device of the practice (the one that made the invite, or an
     * owner's or admin's) to hand this phone the practice's keys at its next sync. [workspace]
     * has no name yet. [checking] while "Sync now" runs; [problem] when the last check could
     * not reach the relay (still waiting: the join itself is kept).
     */
    data class AwaitingKeys(
        val workspace: WorkspaceInfo,
        val checking: Boolean = false,
        val problem: String? = null,
    ) : JoinState

    /** Joined and synced: the practice is on this phone. */
    data class Joined(val workspace: WorkspaceInfo) : JoinState

    /** Refused or failed; [problem] says why. */
    data class Failed(val problem: String) : JoinState
}

/**
 * Joining a practice by pasting (or scanning) an invite code. The code holds no key: after the
 * join this phone waits until a colleague's device lets it in (hands it the keys when that
 * device next syncs); [syncNow] then takes them and pulls the practice.
 */
class JoinModel(private val store: TrellisStore) {
    private val _state = MutableStateFlow<JoinState>(JoinState.Idle)

    /** The screen's state. */
    val state: StateFlow<JoinState> = _state.asStateFlow()

    /**
     * Sets up this phone for [name] if needed, joins with the pasted [code] (trimmed of the
     * whitespace a chat app adds), then tries a first sync: usually no device has let this one
     * in yet, and the state is [JoinState.AwaitingKeys].
     */
    suspend fun join(name: String, code: String) {
        _state.value = JoinState.Joining
        val ws = try {
            try {
                store.device()
            } catch (e: TrellisException.NotInitialized) {
                store.init(name.trim())
            }
            store.join(code.trim())
        } catch (e: TrellisException) {
            _state.value = JoinState.Failed(Format.problem(e))
            return
        }
        _state.value = JoinState.AwaitingKeys(ws, checking = true)
        syncNow()
    }

    /**
     * Picks up a join this phone started earlier and is still waiting for keys (the app was
     * closed meanwhile). Returns whether there was one.
     */
    fun resume(): Boolean {
        val ws = awaiting(store) ?: return false
        if (_state.value !is JoinState.AwaitingKeys) _state.value = JoinState.AwaitingKeys(ws)
        return true
    }

    /**
     * "Sync now" while waiting: syncs, which takes the keys if a colleague's device has handed
     * them over and pulls the practice ([JoinState.Joined]); else keeps waiting. Offline, the
     * problem is shown and the join kept; a refusal that ends the join (this phone was revoked
     * meanwhile) is [JoinState.Failed].
     */
    suspend fun syncNow() {
        val waiting = _state.value as? JoinState.AwaitingKeys ?: return
        _state.value = waiting.copy(checking = true, problem = null)
        _state.value = try {
            store.sync()
            joinedOr(waiting)
        } catch (e: TrellisException.AwaitingKeys) {
            waiting.copy(checking = false, problem = null)
        } catch (e: TrellisException.Network) {
            waiting.copy(checking = false, problem = Format.problem(e))
        } catch (e: TrellisException) {
            JoinState.Failed(Format.problem(e))
        }
    }

    /**
     * Whether the join finished without this model (a background sync took the keys): read
     * from the phone's own store, no network. Moves on to [JoinState.Joined] if so.
     */
    fun recheck() {
        val waiting = _state.value as? JoinState.AwaitingKeys ?: return
        if (waiting.checking) return
        val next = try {
            joinedOr(waiting)
        } catch (e: TrellisException) {
            waiting
        }
        _state.value = next
    }

    /** [JoinState.Joined] with the practice as the store now lists it, or [waiting] if its keys have not arrived. */
    private fun joinedOr(waiting: JoinState.AwaitingKeys): JoinState {
        val ws = store.workspaces().firstOrNull { it.id == waiting.workspace.id }
        return if (ws != null && !ws.awaitingKeys) JoinState.Joined(ws) else waiting.copy(checking = false)
    }

    companion object {
        /** What the waiting screen says, with no name of anyone in it. */
        const val WAITING_TEXT = "Waiting for a colleague's device to let this one in"

        /** What the waiting screen says under [WAITING_TEXT]. */
        const val WAITING_HINT =
            "The colleague who invited you lets this phone in when their device next syncs. Then tap Sync now."

        /** The current practice when this phone joined it and still waits for its keys, else null. */
        fun awaiting(store: TrellisStore): WorkspaceInfo? = try {
            store.workspaces().firstOrNull { it.current && it.awaitingKeys }
        } catch (e: TrellisException) {
            null
        }
    }
}

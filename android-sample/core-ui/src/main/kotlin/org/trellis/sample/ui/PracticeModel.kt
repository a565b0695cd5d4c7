package org.trellis.sample.ui

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import org.trellis.core.Role
import org.trellis.core.TrellisException
import org.trellis.core.TrellisStore
import org.trellis.core.WorkspaceInfo

/** Where starting a practice, or making an invite, is. */
sealed interface PracticeState {
    /** Nothing under way. */
    data object Idle : PracticeState

    /** Talking to the relay (or writing the new practice). */
    data object Working : PracticeState

    /** The practice exists on this phone (and on the relay when one was given). */
    data class Created(val workspace: WorkspaceInfo) : PracticeState

    /**
     * An invite code to share (share sheet, QR code). It holds no key: once a colleague's
     * phone joins with it, this phone lets that one in at its next sync (until then the
     * invite is listed on the members screen, and can be cancelled there). [text] is what to
     * share: the code with a line saying what it is for.
     */
    data class Invite(val code: String, val role: Role, val practice: String) : PracticeState {
        val text: String get() = PracticeModel.shareText(practice, code)
    }

    /** Refused or failed; [problem] says why. */
    data class Failed(val problem: String) : PracticeState
}

/**
 * Starting a practice from the phone and inviting colleagues to it. A practice made without a
 * relay stays on this phone (invites need one); with the relay's address and its operator's
 * signup secret it is registered there at once.
 */
class PracticeModel(private val store: TrellisStore) {
    private val _state = MutableStateFlow<PracticeState>(PracticeState.Idle)

    /** The screen's state. */
    val state: StateFlow<PracticeState> = _state.asStateFlow()

    /**
     * Sets up this phone for [yourName] if needed and creates the practice [name]: on the
     * relay at [relayUrl] with [signupSecret] when both are given, else on this phone only.
     */
    suspend fun create(yourName: String, name: String, relayUrl: String, signupSecret: String) {
        _state.value = PracticeState.Working
        _state.value = try {
            try {
                store.device()
            } catch (e: TrellisException.NotInitialized) {
                store.init(yourName.trim())
            }
            val ws = if (relayUrl.isBlank()) {
                store.createWorkspace(name.trim())
            } else {
                store.createSharedWorkspace(name.trim(), relayUrl.trim(), signupSecret.trim())
            }
            PracticeState.Created(ws)
        } catch (e: TrellisException) {
            PracticeState.Failed(Format.problem(e))
        }
    }

    /**
     * Asks the relay for a single-use invite for a new colleague with [role] (owners and
     * admins only), or for another phone of this member when [ownDevice].
     */
    suspend fun invite(role: Role, ownDevice: Boolean = false) {
        _state.value = PracticeState.Working
        _state.value = try {
            val practice = store.workspaces().firstOrNull { it.current }?.name ?: ""
            PracticeState.Invite(store.createInvite(role, ownDevice), role, practice)
        } catch (e: TrellisException) {
            PracticeState.Failed(Format.problem(e))
        }
    }

    /** Back to idle (the invite was shared, or the problem read). */
    fun dismiss() {
        _state.value = PracticeState.Idle
    }

    companion object {
        /** The text shared with an invite: what it is, then the code on a line of its own. */
        fun shareText(practice: String, code: String): String =
            "Join $practice in Trellis: open the app, choose \"Join a practice\" and paste this code.\n\n$code"
    }
}

package org.trellis.sample.ui

import java.time.Duration
import java.time.Instant
import java.time.OffsetDateTime
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import org.trellis.core.DeviceView
import org.trellis.core.InviteView
import org.trellis.core.MemberView
import org.trellis.core.Profile
import org.trellis.core.Role
import org.trellis.core.TrellisException
import org.trellis.core.TrellisStore

/** What the members screen shows. */
data class MembersState(
    /** The practice's signed roster, as this phone checked it: members and their devices. */
    val members: List<MemberView> = emptyList(),
    /**
     * The open invites this member may cancel, newest first: every one for owners and admins,
     * a member's own device invites for a member.
     */
    val invites: List<InviteView> = emptyList(),
    /** This phone's fingerprint, shown large for a colleague who compares it face to face. */
    val fingerprint: String = "",
    /**
     * The profile cards written in the practice that reached this phone, by member id: each
     * member's row offers hers (`CardModel` opens it).
     */
    val cards: Map<String, Profile> = emptyMap(),
    /** The roster is being fetched from the relay. */
    val loading: Boolean = false,
    /**
     * Why the relay's copy of the practice's roster last failed this phone's checks (the core's
     * sentence), or null: shown as a warning above the roster.
     */
    val rosterProblem: String? = null,
    /** A problem to show (the roster could not be fetched, a fingerprint did not match). */
    val problem: String? = null,
    /** What the last action did: "Sam's device is verified on this phone.", an invite cancelled. */
    val notice: String? = null,
)

/**
 * Members and their devices, each with its fingerprint, and recording a face-to-face check:
 * a colleague's phone shows its fingerprint, this member reads it and types it here. The core
 * keeps the check on this phone only and flags the member when she later has a device nobody
 * here verified (a new phone, or keys someone slipped in). Each member's row also offers her
 * profile card, read from this phone's store. Below them, the open invites this member may
 * cancel (a code that went astray admits nobody once cancelled).
 */
class MembersModel(private val store: TrellisStore) {
    private val _state = MutableStateFlow(MembersState())

    /** The screen's state. */
    val state: StateFlow<MembersState> = _state.asStateFlow()

    /**
     * Fetches the roster and the open invites from the relay (the core checks the roster) and
     * reads this phone's fingerprint and the practice's profile cards.
     */
    suspend fun refresh() {
        _state.value = _state.value.copy(loading = true)
        _state.value = try {
            val fingerprint = store.fingerprint()
            val members = store.roster()
            val invites = cancellable(store.invites(), members)
            _state.value.copy(
                members = members,
                invites = invites,
                fingerprint = fingerprint,
                cards = cards(),
                rosterProblem = store.status().rosterProblem,
                loading = false,
                problem = null,
            )
        } catch (e: TrellisException) {
            // A roster the relay served that failed the checks is a problem too: say why. The
            // cards are on this phone: still shown offline.
            val rosterProblem = runCatching { store.status().rosterProblem }.getOrNull()
            val cards = runCatching { cards() }.getOrDefault(_state.value.cards)
            _state.value.copy(loading = false, rosterProblem = rosterProblem, cards = cards, problem = Format.problem(e))
        }
    }

    /** The cards that reached this phone, by member id. */
    private fun cards(): Map<String, Profile> = store.profiles().associateBy { it.memberId }

    /**
     * Records that a device of [member] showed [fingerprint] (as typed: spaces and dashes do
     * not matter). Returns the problem to show, null when recorded; a fingerprint none of her
     * devices has records nothing.
     */
    fun verify(member: MemberView, fingerprint: String): String? {
        return try {
            val updated = store.verifyMember(member.memberId, fingerprint.trim())
            _state.value = _state.value.copy(
                members = _state.value.members.map { if (it.memberId == updated.memberId) updated else it },
                problem = null,
                notice = "${updated.name}'s device is verified on this phone.",
            )
            null
        } catch (e: TrellisException) {
            val problem = Format.problem(e)
            _state.value = _state.value.copy(problem = problem, notice = null)
            problem
        }
    }

    /**
     * Cancels [invite]: its code admits nobody from now on. Returns the problem to show, null
     * when cancelled (the list then leaves it out).
     */
    suspend fun cancel(invite: InviteView): String? {
        return try {
            val cancelled = store.cancelInvite(invite.inviteId)
            _state.value = _state.value.copy(
                invites = _state.value.invites.filterNot { it.inviteId == cancelled.inviteId },
                problem = null,
                notice = MembersFormat.cancelled(cancelled),
            )
            null
        } catch (e: TrellisException) {
            val problem = Format.problem(e)
            _state.value = _state.value.copy(problem = problem, notice = null)
            problem
        }
    }

    companion object {
        /**
         * The invites of [open] that the member using this phone may cancel, as [members] says
         * who that is: all of them for an owner or an admin; for a member, her own device
         * invites (made on this phone, or in her name on another of her devices).
         */
        fun cancellable(open: List<InviteView>, members: List<MemberView>): List<InviteView> {
            val me = members.firstOrNull { m -> m.devices.any { it.thisDevice } } ?: return open.filter { it.madeHere }
            return when (me.role) {
                Role.OWNER, Role.ADMIN -> open
                Role.MEMBER -> open.filter { it.device && (it.madeHere || it.invitedBy == me.name) }
            }
        }

        /** Whether [member] has a device this phone can still verify (not this phone's, not revoked). */
        fun canVerify(member: MemberView): Boolean =
            !member.removed && member.devices.any { !it.thisDevice && !it.revoked && !it.verified }
    }
}

/** The members screen's wording, pure functions of the core's records. */
object MembersFormat {
    /** What a device row says after its fingerprint: "this phone", "verified", "not verified", "revoked". */
    fun deviceStatus(d: DeviceView): String = when {
        d.revoked -> "revoked"
        d.thisDevice -> "this phone"
        d.verified -> "verified"
        else -> "not verified"
    }

    /** The warning above the roster when the relay's copy of it failed this phone's checks. */
    fun rosterWarning(problem: String): String =
        "The relay's copy of the practice's roster failed this phone's checks: $problem"

    /** The warning on a member flagged by the core, or null. */
    fun flag(member: MemberView): String? = if (member.unverifiedDevice) {
        "${member.name} has a new device nobody here verified: compare its fingerprint before trusting it."
    } else {
        null
    }

    /**
     * A fingerprint as a screen reader should say it, digit by digit in its groups of five
     * ("1 2 3 4 5, 6 7 8 9 0, …"), not as four large numbers.
     */
    fun spoken(fingerprint: String): String =
        fingerprint.trim().split(Regex("\\s+")).filter { it.isNotEmpty() }.joinToString(", ") { group -> group.toList().joinToString(" ") }

    /** "Device 3f2a9c01", the first 8 hex digits of its id. */
    fun deviceName(d: DeviceView): String = "Device ${d.deviceId.take(8)}"

    /** "Invite 3f2a9c01", the first 8 hex digits of its id. */
    fun inviteName(i: InviteView): String = "Invite ${i.inviteId.take(8)}"

    /** Who an invite lets in: "a new member", "a new admin", "another device". */
    fun inviteFor(i: InviteView): String = when {
        i.device -> "another device"
        i.role == Role.ADMIN -> "a new admin"
        i.role == Role.OWNER -> "a new owner"
        else -> "a new member"
    }

    /**
     * An invite's row, with no name of anyone in it: "Invite 3f2a9c01 · a new member · made on
     * this phone · expires in 3 days".
     */
    fun invite(i: InviteView, now: Instant): String {
        val where = if (i.madeHere) "made on this phone" else "made on another device"
        return "${inviteName(i)} · ${inviteFor(i)} · $where · ${expires(i.expiresAt, now)}"
    }

    /** "expires in 40 min", "expires in 5 h", "expires in 3 days"; "expired" once past. */
    fun expires(at: String, now: Instant): String {
        val left = Duration.between(now, OffsetDateTime.parse(at).toInstant())
        return when {
            left.isNegative || left.isZero -> "expired"
            left.toMinutes() < 60 -> "expires in ${maxOf(1, left.toMinutes())} min"
            left.toHours() < 48 -> "expires in ${left.toHours()} h"
            else -> "expires in ${left.toDays()} days"
        }
    }

    /** What cancelling said: "Invite 3f2a9c01 cancelled: its code lets nobody in now." */
    fun cancelled(i: InviteView): String = "${inviteName(i)} cancelled: its code lets nobody in now."
}

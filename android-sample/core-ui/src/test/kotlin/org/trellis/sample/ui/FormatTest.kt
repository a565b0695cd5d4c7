package org.trellis.sample.ui

import java.time.Instant
import java.time.LocalDate
import java.time.ZoneId
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import org.junit.Test
import org.trellis.core.DeviceView
import org.trellis.core.InviteView
import org.trellis.core.MemberView
import org.trellis.core.Role
import org.trellis.core.SyncState
import org.trellis.core.TrellisException

class FormatTest {
    private val zone = ZoneId.of("America/Chicago")

    @Test
    fun minutesReadLikeAClock() {
        assertEquals("45 min", Format.minutes(45))
        assertEquals("2 h", Format.minutes(120))
        assertEquals("1 h 20 min", Format.minutes(80))
        assertEquals("1 h 20 min of 2 h", Format.weekLine(80, 120))
        assertEquals(0.5f, Format.progress(60, 120))
        assertEquals(1f, Format.progress(200, 120))
        assertEquals(1f, Format.progress(0, 0))
    }

    @Test
    fun dueDaysCountInTheUsersZone() {
        val today = LocalDate.of(2026, 3, 10)
        // 02:00 UTC on the 11th is still the evening of the 10th in Chicago.
        assertEquals("due today", Format.due("2026-03-11T02:00:00Z", today, zone))
        assertEquals("due tomorrow", Format.due("2026-03-11T15:00:00Z", today, zone))
        assertEquals("due in 2 days", Format.due("2026-03-12T15:00:00Z", today, zone))
        assertEquals("1 day overdue", Format.due("2026-03-09T15:00:00Z", today, zone))
        assertEquals("3 days overdue", Format.due("2026-03-07T15:00:00Z", today, zone))
    }

    @Test
    fun syncStatesBecomeAStatusLine() {
        val now = Instant.parse("2026-03-10T12:00:00Z")
        assertEquals("Up to date · synced 5 min ago", Format.syncLine(SyncState.Idle("2026-03-10T11:55:00Z"), now))
        assertEquals("Not synced yet", Format.syncLine(SyncState.Idle(null), now))
        assertEquals("Syncing…", Format.syncLine(SyncState.Syncing, now))
        assertEquals("Offline · 3 changes waiting", Format.syncLine(SyncState.Offline(3UL), now))
        assertEquals("Offline · 1 change waiting", Format.syncLine(SyncState.Offline(1UL), now))
        assertEquals("Sync failed: revoked", Format.syncLine(SyncState.Failed("revoked"), now))
        assertEquals("2 days ago", Format.ago("2026-03-08T11:00:00Z", now))
    }

    @Test
    fun devicesSayWhetherTheyWereVerifiedAndANewOneIsFlagged() {
        fun device(id: String, thisDevice: Boolean = false, verified: Boolean = false, revoked: Boolean = false) = DeviceView(
            deviceId = id, registeredAt = "2026-03-01T10:00:00Z", revoked = revoked, thisDevice = thisDevice,
            fingerprint = "12345 67890 12345 67890", verified = verified,
        )
        assertEquals("this phone", MembersFormat.deviceStatus(device("a", thisDevice = true)))
        assertEquals("verified", MembersFormat.deviceStatus(device("b", verified = true)))
        assertEquals("not verified", MembersFormat.deviceStatus(device("c")))
        assertEquals("revoked", MembersFormat.deviceStatus(device("d", verified = true, revoked = true)))
        assertEquals("Device 3f2a9c01", MembersFormat.deviceName(device("3f2a9c01aa55")))
        assertEquals(
            "1 2 3 4 5, 6 7 8 9 0, 1 2 3 4 5, 6 7 8 9 0",
            MembersFormat.spoken(" 12345 67890 12345  67890"),
        )
        assertEquals(
            "The relay's copy of the practice's roster failed this phone's checks: forked",
            MembersFormat.rosterWarning("forked"),
        )

        val sam = MemberView(
            memberId = "m1", name = "Sam", role = Role.MEMBER, removed = false,
            devices = listOf(device("b", verified = true), device("c")), unverifiedDevice = true,
        )
        assertEquals(
            "Sam has a new device nobody here verified: compare its fingerprint before trusting it.",
            MembersFormat.flag(sam),
        )
        assertTrue(MembersModel.canVerify(sam))
        assertEquals(null, MembersFormat.flag(sam.copy(unverifiedDevice = false)))
        assertFalse(MembersModel.canVerify(sam.copy(devices = listOf(device("b", verified = true)))))
        assertFalse(MembersModel.canVerify(sam.copy(removed = true)))
    }

    @Test
    fun openInvitesReadWithoutAnyonesNameAndEachMemberSeesTheOnesSheMayCancel() {
        val now = Instant.parse("2026-03-09T12:00:00Z")
        fun invite(id: String, device: Boolean = false, role: Role = Role.MEMBER, by: String = "Dana", here: Boolean = true, expires: String = "2026-03-12T12:00:00Z") =
            InviteView(inviteId = id, role = role, device = device, invitedBy = by, madeHere = here, expiresAt = expires)
        assertEquals(
            "Invite 3f2a9c01 · a new member · made on this phone · expires in 3 days",
            MembersFormat.invite(invite("3f2a9c01aa55"), now),
        )
        assertEquals(
            "Invite 0b1c2d3e · another device · made on another device · expires in 5 h",
            MembersFormat.invite(invite("0b1c2d3eff", device = true, here = false, expires = "2026-03-09T17:30:00Z"), now),
        )
        assertEquals("a new admin", MembersFormat.inviteFor(invite("a", role = Role.ADMIN)))
        assertEquals("expires in 1 min", MembersFormat.expires("2026-03-09T12:00:20Z", now))
        assertEquals("expires in 40 min", MembersFormat.expires("2026-03-09T12:40:00+00:00", now))
        assertEquals("expired", MembersFormat.expires("2026-03-09T11:59:00Z", now))
        assertEquals("Invite 3f2a9c01 cancelled: its code lets nobody in now.", MembersFormat.cancelled(invite("3f2a9c01aa55")))
        // No name in any of it: the wording names invites by their id only.
        assertFalse(MembersFormat.invite(invite("3f2a9c01", by = "Dana"), now).contains("Dana"))

        fun me(role: Role, name: String = "Sam") = MemberView(
            memberId = "m1", name = name, role = role, removed = false, unverifiedDevice = false,
            devices = listOf(
                DeviceView(
                    deviceId = "d1", registeredAt = "2026-03-01T10:00:00Z", revoked = false, thisDevice = true,
                    fingerprint = "12345 67890 12345 67890", verified = false,
                ),
            ),
        )
        val open = listOf(
            invite("a", by = "Dana", here = false), // a new member, invited by the owner
            invite("b", device = true, by = "Dana", here = false), // the owner's tablet
            invite("c", device = true, by = "Sam", here = false), // Sam's tablet, invited from his laptop
            invite("d", device = true, by = "Sam", here = true), // Sam's tablet, invited from this phone
        )
        assertEquals(listOf("a", "b", "c", "d"), MembersModel.cancellable(open, listOf(me(Role.OWNER))).map { it.inviteId })
        assertEquals(listOf("a", "b", "c", "d"), MembersModel.cancellable(open, listOf(me(Role.ADMIN))).map { it.inviteId })
        assertEquals(listOf("c", "d"), MembersModel.cancellable(open, listOf(me(Role.MEMBER))).map { it.inviteId })
        // Before the roster names this phone: only what it made.
        assertEquals(listOf("d"), MembersModel.cancellable(open, emptyList()).map { it.inviteId })
    }

    @Test
    fun everyErrorHasASentence() {
        assertEquals("Offline: no route", Format.problem(TrellisException.Network("no route")))
        assertEquals("gone", Format.problem(TrellisException.Removed("gone")))
        assertEquals("waiting for keys", Format.problem(TrellisException.AwaitingKeys("waiting for keys")))
    }
}

package org.trellis.sample.ui

import java.time.Instant
import java.time.LocalDate
import java.time.ZoneId
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import org.junit.Test
import org.trellis.core.DeviceView
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
    fun everyErrorHasASentence() {
        assertEquals("Offline: no route", Format.problem(TrellisException.Network("no route")))
        assertEquals("gone", Format.problem(TrellisException.Removed("gone")))
    }
}

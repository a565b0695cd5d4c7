package org.trellis.sample.ui

import java.time.Instant
import java.time.LocalDate
import java.time.ZoneId
import kotlin.test.assertEquals
import org.junit.Test
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
    fun everyErrorHasASentence() {
        assertEquals("Offline: no route", Format.problem(TrellisException.Network("no route")))
        assertEquals("gone", Format.problem(TrellisException.Removed("gone")))
    }
}

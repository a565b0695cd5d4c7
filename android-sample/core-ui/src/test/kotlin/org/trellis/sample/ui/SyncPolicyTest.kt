package org.trellis.sample.ui

import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertTrue
import org.junit.Test
import org.trellis.core.Status
import org.trellis.core.TrellisException

/** The background-sync decisions WorkManager carries out: when to schedule, retries, backoff. */
class SyncPolicyTest {
    private fun status(pending: ULong, relay: String?) =
        Status("ws", "Maple Street Counseling", relay, pending, null, 0uL, 0uL, 0uL, rosterProblem = null, rosterRefused = 0uL)

    @Test
    fun aRunIsScheduledOnlyWhenChangesWaitForARelay() {
        assertTrue(SyncPolicy.shouldSchedule(status(3uL, "https://relay.example")))
        assertFalse(SyncPolicy.shouldSchedule(status(0uL, "https://relay.example")))
        assertFalse(SyncPolicy.shouldSchedule(status(3uL, null))) // local-only practice
    }

    @Test
    fun retriesBackOffExponentiallyUpToFiveHours() {
        assertEquals(30L, SyncPolicy.backoffSeconds(0))
        assertEquals(60L, SyncPolicy.backoffSeconds(1))
        assertEquals(120L, SyncPolicy.backoffSeconds(2))
        assertEquals(5L * 60 * 60, SyncPolicy.backoffSeconds(20))
        assertEquals(5L * 60 * 60, SyncPolicy.backoffSeconds(Int.MAX_VALUE))
        assertEquals(30L, SyncPolicy.backoffSeconds(-1))
    }

    @Test
    fun eachResultMeansOneThing() {
        assertEquals(SyncDecision.Done, SyncPolicy.afterAttempt(SyncOutcome.Synced(0uL), 0))
        // Changes made while the sync ran: go again soon.
        assertEquals(SyncDecision.Retry(30), SyncPolicy.afterAttempt(SyncOutcome.Synced(2uL), 4))
        // Offline in the basement: keep trying, slower each time.
        assertEquals(SyncDecision.Retry(120), SyncPolicy.afterAttempt(SyncOutcome.Failed(TrellisException.Network("offline")), 2))
        assertEquals(SyncDecision.Retry(30), SyncPolicy.afterAttempt(SyncOutcome.Failed(TrellisException.Relay("busy", 503u, "unavailable")), 0))
        assertIs<SyncDecision.Stop>(SyncPolicy.afterAttempt(SyncOutcome.Failed(TrellisException.Relay("gone", 410u, "gone")), 0))
        assertIs<SyncDecision.Stop>(SyncPolicy.afterAttempt(SyncOutcome.Failed(TrellisException.NotAuthorized("revoked")), 0))
        assertEquals(SyncDecision.Done, SyncPolicy.afterAttempt(SyncOutcome.Failed(TrellisException.NotConnected("local")), 0))
        // Joined, not let in yet: a colleague's device hands the keys over at its next sync.
        assertEquals(SyncDecision.Retry(60), SyncPolicy.afterAttempt(SyncOutcome.Failed(TrellisException.AwaitingKeys("waiting")), 1))
    }
}

package org.trellis.sample.ui

import org.trellis.core.Status
import org.trellis.core.TrellisException
import org.trellis.core.TrellisStore

/** How one background sync attempt ended. */
sealed interface SyncOutcome {
    /** The relay took the changes; [pendingLeft] were made meanwhile and still wait. */
    data class Synced(val pendingLeft: ULong) : SyncOutcome

    /** The attempt failed with [error]. */
    data class Failed(val error: TrellisException) : SyncOutcome
}

/** What the platform's scheduler should do after an attempt. */
sealed interface SyncDecision {
    /** Nothing waits: no further run until the next local change. */
    data object Done : SyncDecision

    /** Run again after [delaySeconds] (offline, relay busy, or changes made meanwhile). */
    data class Retry(val delaySeconds: Long) : SyncDecision

    /** Stop retrying: this device cannot sync until the user acts ([reason], for a notice). */
    data class Stop(val reason: String) : SyncDecision
}

/**
 * The background-sync decisions, apart from the platform that carries them out (WorkManager
 * on Android with a CONNECTED network constraint; the iOS sample has the same rules in Swift,
 * `SyncPolicy.swift`): when to schedule a run, what a run's result means, and the backoff.
 */
object SyncPolicy {
    /** The first retry's delay; each further retry doubles it. */
    const val FIRST_BACKOFF_SECONDS: Long = 30

    /** The longest delay between retries (WorkManager's own cap is 5 hours, the same). */
    const val MAX_BACKOFF_SECONDS: Long = 5 * 60 * 60

    /**
     * Whether to schedule a background push: changes wait for the relay and the practice has
     * one. A local-only practice has nowhere to push, so nothing is scheduled for it.
     */
    fun shouldSchedule(status: Status): Boolean = status.pendingChanges > 0uL && status.relayUrl != null

    /** The delay before retry number [attempt] (0 for the first retry). */
    fun backoffSeconds(attempt: Int): Long {
        val doublings = attempt.coerceIn(0, 30)
        val delay = FIRST_BACKOFF_SECONDS shl doublings
        return if (delay <= 0 || delay > MAX_BACKOFF_SECONDS) MAX_BACKOFF_SECONDS else delay
    }

    /** What to do after attempt number [attempt] (0 for the first run) ended with [outcome]. */
    fun afterAttempt(outcome: SyncOutcome, attempt: Int): SyncDecision = when (outcome) {
        is SyncOutcome.Synced ->
            if (outcome.pendingLeft == 0uL) SyncDecision.Done else SyncDecision.Retry(FIRST_BACKOFF_SECONDS)
        is SyncOutcome.Failed -> when (val e = outcome.error) {
            // Offline, the relay unreachable or busy: the changes stay queued; try later.
            is TrellisException.Network, is TrellisException.Closed -> SyncDecision.Retry(backoffSeconds(attempt))
            // Joined, and no device of the practice has let this one in yet: it will at its
            // next sync, so try again later.
            is TrellisException.AwaitingKeys -> SyncDecision.Retry(backoffSeconds(attempt))
            is TrellisException.Relay ->
                if (e.status.toInt() >= 500 || e.status.toInt() == 429) {
                    SyncDecision.Retry(backoffSeconds(attempt))
                } else {
                    SyncDecision.Stop(Format.problem(e))
                }
            // Nothing to push to: no device, no practice or a local-only practice.
            is TrellisException.NotInitialized, is TrellisException.NoWorkspace, is TrellisException.NotConnected ->
                SyncDecision.Done
            // Revoked or removed, or the store itself is in trouble: retrying cannot help.
            else -> SyncDecision.Stop(Format.problem(e))
        }
    }

    /** One background attempt: push and pull, then what still waits. */
    suspend fun attempt(store: TrellisStore): SyncOutcome = try {
        store.sync()
        SyncOutcome.Synced(store.status().pendingChanges)
    } catch (e: TrellisException) {
        SyncOutcome.Failed(e)
    }

    /** Whether the store has changes a background run should push now. */
    fun needsRun(store: TrellisStore): Boolean = try {
        shouldSchedule(store.status())
    } catch (e: TrellisException) {
        false
    }
}

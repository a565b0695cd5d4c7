package org.trellis.sample.ui

import java.time.Duration
import java.time.Instant
import java.time.LocalDate
import java.time.OffsetDateTime
import java.time.ZoneId
import java.time.temporal.ChronoUnit
import org.trellis.core.FollowUp
import org.trellis.core.FollowUpKind
import org.trellis.core.SyncState
import org.trellis.core.TrellisException

/**
 * How the sample app words numbers, times and states. Pure functions of their inputs (the
 * clock and zone are parameters), so the phone and the unit tests word them the same way.
 */
object Format {
    /** "45 min", "1 h", "1 h 20 min". */
    fun minutes(total: Int): String {
        val h = total / 60
        val m = total % 60
        return when {
            h == 0 -> "$m min"
            m == 0 -> "$h h"
            else -> "$h h $m min"
        }
    }

    /** This week's minutes against the goal: "1 h 20 min of 2 h". */
    fun weekLine(minutes: Int, goal: Int): String = "${minutes(minutes)} of ${minutes(goal)}"

    /** How far the week's goal is met, 0 to 1, for a progress bar (a goal of 0 is met). */
    fun progress(minutes: Int, goal: Int): Float =
        if (goal <= 0) 1f else (minutes.toFloat() / goal).coerceIn(0f, 1f)

    /** When a follow-up is due, in days from [today]: "due today", "due in 2 days", "3 days overdue". */
    fun due(dueAt: String, today: LocalDate, zone: ZoneId): String {
        val day = OffsetDateTime.parse(dueAt).atZoneSameInstant(zone).toLocalDate()
        val days = ChronoUnit.DAYS.between(today, day)
        return when {
            days == 0L -> "due today"
            days == 1L -> "due tomorrow"
            days > 1 -> "due in $days days"
            days == -1L -> "1 day overdue"
            else -> "${-days} days overdue"
        }
    }

    /** "just now", "5 min ago", "3 h ago", "2 days ago". */
    fun ago(at: String, now: Instant): String {
        val d = Duration.between(OffsetDateTime.parse(at).toInstant(), now)
        return when {
            d.toMinutes() < 1 -> "just now"
            d.toHours() < 1 -> "${d.toMinutes()} min ago"
            d.toDays() < 1 -> "${d.toHours()} h ago"
            d.toDays() == 1L -> "1 day ago"
            else -> "${d.toDays()} days ago"
        }
    }

    /** A follow-up's title in a list: "Thank-you: Priya Shah, Lincoln Middle School". */
    fun followUpTitle(f: FollowUp): String {
        val what = when (f.kind) {
            FollowUpKind.THANK_YOU -> "Thank-you"
            FollowUpKind.CHECK_IN -> "Check in"
            FollowUpKind.SEND_RESOURCE -> "Send a resource"
            FollowUpKind.CUSTOM -> "Follow up"
        }
        val who = listOfNotNull(f.contact, f.organization).joinToString(", ")
        return if (who.isEmpty()) what else "$what: $who"
    }

    /** The status line for a sync state. */
    fun syncLine(state: SyncState, now: Instant): String = when (state) {
        is SyncState.Idle -> state.lastSyncAt?.let { "Up to date · synced ${ago(it, now)}" } ?: "Not synced yet"
        is SyncState.Syncing -> "Syncing…"
        is SyncState.Offline -> when (state.pending) {
            0UL -> "Offline"
            1UL -> "Offline · 1 change waiting"
            else -> "Offline · ${state.pending} changes waiting"
        }
        is SyncState.Failed -> "Sync failed: ${state.reason}"
    }

    /** The sentence to show for an error from the core; every variant carries one. */
    fun problem(e: TrellisException): String = when (e) {
        is TrellisException.NotInitialized -> e.reason
        is TrellisException.NoWorkspace -> e.reason
        is TrellisException.NotConnected -> e.reason
        is TrellisException.NotFound -> e.reason
        is TrellisException.Ambiguous -> e.reason
        is TrellisException.InvalidInput -> e.reason
        is TrellisException.Conflict -> e.reason
        is TrellisException.NotAuthorized -> e.reason
        is TrellisException.Network -> "Offline: ${e.reason}"
        is TrellisException.Relay -> e.reason
        is TrellisException.Corrupt -> e.reason
        is TrellisException.Storage -> e.reason
        is TrellisException.AwaitingKeys -> e.reason
        is TrellisException.Removed -> e.reason
        is TrellisException.Closed -> e.reason
    }
}

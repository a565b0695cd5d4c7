package org.trellis.sample.ui

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import org.trellis.core.FollowUp
import org.trellis.core.FollowUpFilter
import org.trellis.core.TrellisException
import org.trellis.core.TrellisStore

/** What the Today screen shows. */
data class TodayState(
    /** The practice's name ("" before one is set up). */
    val practice: String = "",
    /** This phone's member id in the practice: whose follow-ups are "mine". */
    val me: String? = null,
    /** Follow-ups due now or overdue: mine first, then the rest of the practice's, each soonest first. */
    val due: List<FollowUp> = emptyList(),
    /** Open follow-ups due later, in the same order. */
    val upcoming: List<FollowUp> = emptyList(),
    /** Networking minutes this week. */
    val minutesThisWeek: Int = 0,
    /** The weekly goal in minutes. */
    val goalMinutes: Int = 0,
    /** A problem to show instead, if loading failed. */
    val problem: String? = null,
) {
    /** "1 h 20 min of 2 h". */
    val weekLine: String get() = Format.weekLine(minutesThisWeek, goalMinutes)

    /** For the progress bar. */
    val progress: Float get() = Format.progress(minutesThisWeek, goalMinutes)

    /** Whether [followUp] is assigned to this phone's member. */
    fun isMine(followUp: FollowUp): Boolean = followUp.assignedToId == me

    /** Under a colleague's follow-up: "Sam's"; null for mine. */
    fun owner(followUp: FollowUp): String? = if (isMine(followUp)) null else "${followUp.assignedTo}'s"

    companion object {
        /**
         * [followUps] with those assigned to [me] first; each part keeps the core's order
         * (soonest first, ties by id).
         */
        fun mineFirst(followUps: List<FollowUp>, me: String?): List<FollowUp> {
            val (mine, theirs) = followUps.partition { it.assignedToId == me }
            return mine + theirs
        }
    }
}

/**
 * The Today screen: due follow-ups (mine first, then my colleagues') and this week's minutes
 * against the goal. Its calls block on the store: run them off the main thread.
 */
class TodayModel(private val store: TrellisStore) {
    private val _state = MutableStateFlow(TodayState())

    /** The screen's state. */
    val state: StateFlow<TodayState> = _state.asStateFlow()

    /** Reloads from the store (call on start and whenever follow-ups or activities change). */
    fun refresh() {
        _state.value = try {
            val due = store.followups(FollowUpFilter.DUE)
            val dueIds = due.map { it.id }.toSet()
            val week = store.timeReport()
            val current = store.workspaces().firstOrNull { it.current }
            val me = current?.memberId
            TodayState(
                practice = current?.name ?: "",
                me = me,
                due = TodayState.mineFirst(due, me),
                upcoming = TodayState.mineFirst(store.followups(FollowUpFilter.OPEN).filter { it.id !in dueIds }, me),
                minutesThisWeek = week.weeks.lastOrNull()?.minutes?.toInt() ?: 0,
                goalMinutes = week.goalMinutes.toInt(),
            )
        } catch (e: TrellisException) {
            TodayState(problem = Format.problem(e))
        }
    }

    /** Marks a follow-up done and reloads. */
    fun complete(followUp: FollowUp) {
        try {
            store.completeFollowup(followUp.id)
        } catch (e: TrellisException) {
            _state.value = _state.value.copy(problem = Format.problem(e))
            return
        }
        refresh()
    }
}

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
    /** Follow-ups due now or overdue, soonest first (as the core orders them). */
    val due: List<FollowUp> = emptyList(),
    /** Open follow-ups due later. */
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
}

/** The Today screen: due follow-ups and this week's minutes against the goal. */
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
            TodayState(
                practice = store.workspaces().firstOrNull { it.current }?.name ?: "",
                due = due,
                upcoming = store.followups(FollowUpFilter.OPEN).filter { it.id !in dueIds },
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

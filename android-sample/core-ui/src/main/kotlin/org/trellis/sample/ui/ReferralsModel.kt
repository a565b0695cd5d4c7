package org.trellis.sample.ui

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import org.trellis.core.NewReferral
import org.trellis.core.Referral
import org.trellis.core.ReferralDirection
import org.trellis.core.TrellisException
import org.trellis.core.TrellisStore

/** What the referrals screen shows. */
data class ReferralsState(
    /** Referrals, as the core lists them. */
    val referrals: List<Referral> = emptyList(),
    /** Reasons used before, for the reason picker. */
    val reasons: List<String> = emptyList(),
    /** A problem to show. */
    val problem: String? = null,
)

/** Referrals received and sent, and recording a new one. */
class ReferralsModel(private val store: TrellisStore) {
    private val _state = MutableStateFlow(ReferralsState())

    /** The screen's state. */
    val state: StateFlow<ReferralsState> = _state.asStateFlow()

    /** Reloads. */
    fun refresh() {
        _state.value = try {
            ReferralsState(store.referrals(), store.referralReasons())
        } catch (e: TrellisException) {
            ReferralsState(problem = Format.problem(e))
        }
    }

    /** Records a referral from or to [partner] (a contact or organization, by name). */
    fun record(direction: ReferralDirection, partner: String, reason: String, note: String?): Boolean {
        try {
            store.addReferral(NewReferral(direction, partner, reason, note = note?.ifBlank { null }))
        } catch (e: TrellisException) {
            _state.value = _state.value.copy(problem = Format.problem(e))
            return false
        }
        refresh()
        return true
    }
}

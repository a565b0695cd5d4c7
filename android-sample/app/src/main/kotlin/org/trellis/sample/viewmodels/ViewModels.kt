package org.trellis.sample.viewmodels

import androidx.lifecycle.SavedStateHandle
import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.trellis.core.ChangeKind
import org.trellis.core.InviteView
import org.trellis.core.MemberView
import org.trellis.core.Openings
import org.trellis.core.OrgKind
import org.trellis.core.Profile
import org.trellis.core.ProfileChoices
import org.trellis.core.ReferralDirection
import org.trellis.core.Role
import org.trellis.core.SyncState
import org.trellis.sample.ui.CardDraft
import org.trellis.sample.ui.CardModel
import org.trellis.sample.ui.ContactModel
import org.trellis.sample.ui.ContactPage
import org.trellis.sample.ui.ContactsModel
import org.trellis.sample.ui.ContactsState
import org.trellis.sample.ui.DropByDraft
import org.trellis.sample.ui.DropByModel
import org.trellis.sample.ui.DropByState
import org.trellis.sample.ui.ExchangeModel
import org.trellis.sample.ui.ExchangeState
import org.trellis.sample.ui.JoinModel
import org.trellis.sample.ui.JoinState
import org.trellis.sample.ui.MembersModel
import org.trellis.sample.ui.MembersState
import org.trellis.sample.ui.MyCardModel
import org.trellis.sample.ui.MyCardState
import org.trellis.sample.ui.PracticeModel
import org.trellis.sample.ui.PracticeState
import org.trellis.sample.ui.ReferralsModel
import org.trellis.sample.ui.ReferralsState
import org.trellis.sample.ui.TodayModel
import org.trellis.sample.ui.TodayState
import org.trellis.sample.ui.TrellisSession

/**
 * Where every store call of the app runs: off the main thread, one at a time (in the order
 * the screens asked). Network calls (join, sync, invites) suspend without holding it.
 */
@OptIn(ExperimentalCoroutinesApi::class)
val StoreDispatcher = Dispatchers.IO.limitedParallelism(1)

/** Runs [block] on the store's dispatcher in this view model's scope. */
private fun ViewModel.store(block: suspend CoroutineScope.() -> Unit) {
    viewModelScope.launch(StoreDispatcher, block = block)
}

/** Reloads with [refresh] now and whenever one of [kinds] changes, for as long as the view model lives. */
private fun ViewModel.refreshOn(session: TrellisSession, vararg kinds: ChangeKind, refresh: suspend () -> Unit) {
    store {
        refresh()
        session.changes.filter { change -> change.kinds.any { it in kinds } }.collect { refresh() }
    }
}

/** Today: mine first, then the practice's; survives rotation with the screen. */
class TodayViewModel(session: TrellisSession) : ViewModel() {
    private val model = TodayModel(session.store)
    val state: StateFlow<TodayState> = model.state

    init {
        refreshOn(session, ChangeKind.FOLLOW_UPS, ChangeKind.ACTIVITIES, ChangeKind.WORKSPACE) { model.refresh() }
    }

    fun complete(followUp: org.trellis.core.FollowUp) = store { model.complete(followUp) }
}

/** The contacts list and its search text (kept across rotation and process death). */
class ContactsViewModel(session: TrellisSession, private val saved: SavedStateHandle) : ViewModel() {
    private val model = ContactsModel(session.store)
    val state: StateFlow<ContactsState> = model.state

    init {
        saved.get<String>(QUERY)?.let(model::setQuery)
        refreshOn(session, ChangeKind.CONTACTS, ChangeKind.ORGANIZATIONS) { model.refresh() }
    }

    fun search(query: String) {
        saved[QUERY] = query
        model.setQuery(query) // at once, for the text field
        store { model.refresh() }
    }

    private companion object {
        const val QUERY = "contacts.query"
    }
}

/** One contact's page. */
class ContactViewModel(session: TrellisSession, contactId: String) : ViewModel() {
    private val model = ContactModel(session.store, contactId)
    val state: StateFlow<Result<ContactPage>?> = model.state

    init {
        refreshOn(session, ChangeKind.CONTACTS, ChangeKind.ACTIVITIES, ChangeKind.FOLLOW_UPS) { model.refresh() }
    }

    /** Appends a note; [done] gets the problem (null when saved), on the main thread. */
    fun addNote(text: String, done: (String?) -> Unit) = store {
        val problem = model.addNote(text)
        withContext(Dispatchers.Main) { done(problem) }
    }
}

/**
 * The drop-by form. What the user entered is written to the SavedStateHandle as it changes
 * (DropByDraft, from core-ui), so rotating the phone, or Android ending the app in the
 * background, brings the half-filled form back.
 */
class DropByViewModel(session: TrellisSession, private val saved: SavedStateHandle) : ViewModel() {
    private val model = DropByModel(session.store)
    val state: StateFlow<DropByState> = model.state
    val noteHint: String = model.noteHint

    init {
        val draft = DropByDraft.fromSaved { saved.get<Any>(it) }
        viewModelScope.launch {
            withContext(StoreDispatcher) {
                model.load()
                draft?.let(model::restore)
            }
            model.state.collect { s ->
                val values = if (s.saved == null) s.draft.toSaved() else emptyMap()
                DropByDraft.KEYS.forEach { key ->
                    val value = values[key]
                    if (value == null) saved.remove<Any>(key) else saved[key] = value
                }
            }
        }
    }

    fun showNearby(lat: Double, lon: Double) = store { model.showNearby(lat, lon) }

    fun searchPlaces(query: String) {
        model.setPlaceQuery(query) // at once, for the text field
        store { model.findPlaces(query) }
    }

    fun pick(place: org.trellis.core.Organization) = store { model.pick(place) }

    fun addPlace(name: String, kind: OrgKind, done: (String?) -> Unit) = store {
        val problem = model.addPlace(name, kind)
        withContext(Dispatchers.Main) { done(problem) }
    }

    fun addPerson(name: String, role: String?, done: (String?) -> Unit) = store {
        val problem = model.addPerson(name, role)
        withContext(Dispatchers.Main) { done(problem) }
    }

    fun toggleMet(contactId: String) = model.toggleMet(contactId)

    fun setMinutes(minutes: Int) = model.setMinutes(minutes)

    fun setNote(note: String) = model.setNote(note)

    fun setLeftBehind(item: String, qty: Int) = model.setLeftBehind(item, qty)

    fun save() = store { model.save() }
}

/** Referrals and the quick form. */
class ReferralsViewModel(session: TrellisSession) : ViewModel() {
    private val model = ReferralsModel(session.store)
    val state: StateFlow<ReferralsState> = model.state

    init {
        refreshOn(session, ChangeKind.REFERRALS, ChangeKind.WORKSPACE) { model.refresh() }
    }

    /** Records a referral; [done] gets whether it was saved, on the main thread. */
    fun record(direction: ReferralDirection, partner: String, reason: String, note: String, done: (Boolean) -> Unit) = store {
        val ok = model.record(direction, partner, reason, note)
        withContext(Dispatchers.Main) { done(ok) }
    }
}

/**
 * The regional referral exchange: the region's posts (fits first), posting a need, replying,
 * reading the replies to one's own and closing it. Posts and replies travel with the region's
 * sync ("Sync region"); a post closed as connected is recorded in the practice at once.
 */
class ExchangeViewModel(session: TrellisSession) : ViewModel() {
    private val model = ExchangeModel(session.store, session.region)
    val state: StateFlow<ExchangeState> = model.state

    init {
        refreshOn(session, ChangeKind.WORKSPACE, ChangeKind.REFERRALS) { model.refresh() }
    }

    /** Syncs the region and records what it brought. */
    fun sync() = store { model.sync() }

    /** Posts [need]; [done] gets whether it was posted, on the main thread. */
    fun post(need: org.trellis.core.Need, done: (Boolean) -> Unit) = store {
        val ok = model.post(need)
        withContext(Dispatchers.Main) { done(ok) }
    }

    fun reply(postId: String, fit: org.trellis.core.Fit, note: String?) = store { model.reply(postId, fit, null, note) }

    fun openReplies(postId: String) = store { model.openReplies(postId) }

    fun closeReplies() = model.closeReplies()

    fun close(postId: String, outcome: org.trellis.core.Outcome, with: String?) = store { model.close(postId, outcome, with) }
}

/**
 * Members and their devices with fingerprints, verifying a colleague's face to face, each
 * member's profile card, and the open invites this member may cancel. The roster and the
 * invites are fetched from the relay when the screen opens and whenever the practice changes
 * (a card synced in is a practice change too).
 */
class MembersViewModel(session: TrellisSession) : ViewModel() {
    private val model = MembersModel(session.store)
    val state: StateFlow<MembersState> = model.state

    init {
        refreshOn(session, ChangeKind.WORKSPACE) { model.refresh() }
    }

    /** Fetches the roster again (pull to refresh, or after a problem). */
    fun refresh() = store { model.refresh() }

    /** Records that [member]'s device showed [fingerprint]; [done] gets the problem (null when recorded), on the main thread. */
    fun verify(member: MemberView, fingerprint: String, done: (String?) -> Unit) = store {
        val problem = model.verify(member, fingerprint)
        withContext(Dispatchers.Main) { done(problem) }
    }

    /** Cancels [invite] (its code then admits nobody); the result shows as the state's notice or problem. */
    fun cancel(invite: InviteView) = store { model.cancel(invite) }
}

/**
 * Joining a practice. The join runs in the view model's scope, so rotating the phone while it
 * talks to the relay neither cancels it nor loses its result; the name and code typed are kept
 * in the SavedStateHandle. After the join the phone waits for a colleague's device to let it
 * in: "Sync now" tries again, and a sync that succeeds in the background (live sync runs while
 * the app is open) ends the wait too. A join the app was closed in the middle of is picked up
 * when the screen opens.
 */
class JoinViewModel(private val session: TrellisSession, private val saved: SavedStateHandle) : ViewModel() {
    private val model = JoinModel(session.store)
    val state: StateFlow<JoinState> = model.state
    val name: StateFlow<String> = saved.getStateFlow(NAME, "")
    val code: StateFlow<String> = saved.getStateFlow(CODE, "")

    init {
        store {
            model.resume()
            // A background sync that went through may have taken the keys: look again.
            session.syncState.filter { it is SyncState.Idle }.collect {
                model.recheck()
                if (model.state.value is JoinState.Joined) session.startLiveSync()
            }
        }
    }

    fun setName(value: String) {
        saved[NAME] = value
    }

    fun setCode(value: String) {
        saved[CODE] = value
    }

    fun join() {
        if (state.value is JoinState.Joining) return
        val name = name.value
        val code = code.value
        store {
            model.join(name, code)
            if (model.state.value is JoinState.Joined) session.startLiveSync()
        }
    }

    /** "Sync now" on the waiting screen. */
    fun syncNow() {
        val waiting = state.value as? JoinState.AwaitingKeys ?: return
        if (waiting.checking) return
        store {
            model.syncNow()
            if (model.state.value is JoinState.Joined) session.startLiveSync()
        }
    }

    private companion object {
        const val NAME = "join.name"
        const val CODE = "join.code"
    }
}

/** Starting a practice, and inviting colleagues (share sheet, QR code). */
class PracticeViewModel(private val session: TrellisSession, private val saved: SavedStateHandle) : ViewModel() {
    private val model = PracticeModel(session.store)
    val state: StateFlow<PracticeState> = model.state
    val yourName: StateFlow<String> = saved.getStateFlow(YOUR_NAME, "")
    val practice: StateFlow<String> = saved.getStateFlow(PRACTICE, "")
    val relayUrl: StateFlow<String> = saved.getStateFlow(RELAY, "")

    fun setYourName(value: String) {
        saved[YOUR_NAME] = value
    }

    fun setPractice(value: String) {
        saved[PRACTICE] = value
    }

    fun setRelayUrl(value: String) {
        saved[RELAY] = value
    }

    /** The signup secret is not kept in the saved state: it is typed again after a restart. */
    fun create(signupSecret: String) {
        if (state.value is PracticeState.Working) return
        val (you, name, relay) = Triple(yourName.value, practice.value, relayUrl.value)
        store {
            model.create(you, name, relay, signupSecret)
            if (model.state.value is PracticeState.Created) session.startLiveSync()
        }
    }

    fun invite(role: Role) {
        if (state.value is PracticeState.Working) return
        store { model.invite(role) }
    }

    fun dismiss() = model.dismiss()

    private companion object {
        const val YOUR_NAME = "practice.yourName"
        const val PRACTICE = "practice.name"
        const val RELAY = "practice.relay"
    }
}

/**
 * My profile card: the form, saving it, and the nudge's answers ("Are you still taking new
 * clients?"). The form lives in the view model, so turning the phone keeps what was ticked and
 * typed; a card saved on another of my devices reloads it unless it has unsaved edits.
 */
class MyCardViewModel(session: TrellisSession) : ViewModel() {
    private val model = MyCardModel(session.store)
    val state: StateFlow<MyCardState> = model.state

    /** Every closed list, in the core's order, for the pickers. */
    val choices: ProfileChoices = model.choices

    init {
        refreshOn(session, ChangeKind.WORKSPACE) { model.load() }
    }

    /** Changes the form (at once, for the controls). */
    fun edit(change: (CardDraft) -> CardDraft) = model.edit(change)

    /** Puts the form back as the card is stored. */
    fun discard() = model.discard()

    /** Saves the form; the result shows as the state's notice or problem. */
    fun save() = store { model.save() }

    /** Answers the nudge: [openings] confirmed as of now. */
    fun confirmOpenings(openings: Openings) = store { model.confirmOpenings(openings) }
}

/** A colleague's card, opened from Members; reloaded when a sync brings a change. */
class CardViewModel(session: TrellisSession, member: String) : ViewModel() {
    private val model = CardModel(session.store, member)
    val state: StateFlow<Result<Profile>?> = model.state

    init {
        refreshOn(session, ChangeKind.WORKSPACE) { model.refresh() }
    }

    /** The card as a vCard 4.0; [done] gets it (null when it cannot be read), on the main thread. */
    fun vcard(done: (String?) -> Unit) = store {
        val text = model.vcard()
        withContext(Dispatchers.Main) { done(text) }
    }
}

package org.trellis.sample.ui

import java.util.Locale
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import org.trellis.core.Activity
import org.trellis.core.Contact
import org.trellis.core.FollowUp
import org.trellis.core.FollowUpFilter
import org.trellis.core.GeoPoint
import org.trellis.core.LeftBehind
import org.trellis.core.NewContact
import org.trellis.core.NewDropBy
import org.trellis.core.NewOrg
import org.trellis.core.OrgKind
import org.trellis.core.Organization
import org.trellis.core.StockItem
import org.trellis.core.TrellisException
import org.trellis.core.TrellisStore

/** A place to pick: nearby (with its distance) or found by search. */
data class PlaceChoice(
    /** The organization. */
    val organization: Organization,
    /** "0.4 km" when found nearby. */
    val distance: String?,
)

/** The one-screen "log a drop-by" form. */
data class DropByState(
    /** Places to pick from: nearby ones first, or the search's matches. */
    val places: List<PlaceChoice> = emptyList(),
    /** The place search text. */
    val placeQuery: String = "",
    /** The place picked. */
    val place: Organization? = null,
    /** People at that place, to tick who was met. */
    val people: List<Contact> = emptyList(),
    /** Ids of the people met. */
    val met: Set<String> = emptySet(),
    /** Minutes spent. */
    val minutes: Int = 15,
    /** A note about the relationship (no client details). */
    val note: String = "",
    /** Leave-behinds in the catalog, with their stock. */
    val stock: List<StockItem> = emptyList(),
    /** Quantities left behind, by item. */
    val leftBehind: Map<String, Int> = emptyMap(),
    /** What went wrong on save, if anything. */
    val problem: String? = null,
    /** The saved drop-by, once saved. */
    val saved: Activity? = null,
    /** The thank-you follow-up the core created for it. */
    val thankYou: FollowUp? = null,
) {
    /** Whether Save can be pressed. */
    val canSave: Boolean get() = place != null && minutes > 0 && saved == null

    /** What the user has entered so far, to keep across a rotation or a process restart. */
    val draft: DropByDraft
        get() = DropByDraft(place?.id, met.toList().sorted(), minutes, note, leftBehind, placeQuery)
}

/**
 * A half-filled drop-by, in values a platform can save with the screen (Android's
 * SavedStateHandle keeps only strings, numbers and lists of them): the place and people by id,
 * so a restore reads them fresh from the store.
 */
data class DropByDraft(
    val placeId: String? = null,
    val met: List<String> = emptyList(),
    val minutes: Int = 15,
    val note: String = "",
    val leftBehind: Map<String, Int> = emptyMap(),
    val placeQuery: String = "",
) {
    /** The draft as key/value pairs of strings, ints and string lists. */
    fun toSaved(): Map<String, Any> = buildMap {
        placeId?.let { put(PLACE, it) }
        put(MET, ArrayList(met))
        put(MINUTES, minutes)
        put(NOTE, note)
        put(LEFT_BEHIND, ArrayList(leftBehind.map { (item, qty) -> "$qty $item" }))
        put(QUERY, placeQuery)
    }

    companion object {
        private const val PLACE = "dropby.place"
        private const val MET = "dropby.met"
        private const val MINUTES = "dropby.minutes"
        private const val NOTE = "dropby.note"
        private const val LEFT_BEHIND = "dropby.leftBehind"
        private const val QUERY = "dropby.placeQuery"

        /** Every key [toSaved] may write. */
        val KEYS = listOf(PLACE, MET, MINUTES, NOTE, LEFT_BEHIND, QUERY)

        /** Reads a draft back from what [toSaved] wrote ([saved] returns null for a missing key). */
        fun fromSaved(saved: (String) -> Any?): DropByDraft? {
            if (KEYS.none { saved(it) != null }) return null
            return DropByDraft(
                placeId = saved(PLACE) as? String,
                met = (saved(MET) as? List<*>)?.filterIsInstance<String>() ?: emptyList(),
                minutes = saved(MINUTES) as? Int ?: 15,
                note = saved(NOTE) as? String ?: "",
                leftBehind = (saved(LEFT_BEHIND) as? List<*>)?.filterIsInstance<String>()?.mapNotNull { entry ->
                    val qty = entry.substringBefore(' ').toIntOrNull() ?: return@mapNotNull null
                    entry.substringAfter(' ') to qty
                }?.toMap() ?: emptyMap(),
                placeQuery = saved(QUERY) as? String ?: "",
            )
        }
    }
}

/**
 * Logging a drop-by on one screen: pick a nearby place (or search, or add a new one), tick who
 * was met (or add someone new), minutes, a note, leave-behinds, save. Saving is one local
 * transaction and works offline; background sync pushes it when it can. The core records the
 * thank-you follow-up and takes the leave-behinds out of stock. Every call reads or writes
 * the store: run them off the main thread, one at a time.
 */
class DropByModel(private val store: TrellisStore) {
    private val _state = MutableStateFlow(DropByState())

    /** The form's state. */
    val state: StateFlow<DropByState> = _state.asStateFlow()

    /** The privacy hint to show under the note field. */
    val noteHint: String = org.trellis.core.notePrivacyHint()

    /** Where the phone was last seen, given to a place added here (so it is nearby next time). */
    private var here: GeoPoint? = null

    /** Offers the places within 2 km of the phone's location, nearest first. */
    fun showNearby(lat: Double, lon: Double) {
        here = GeoPoint(lat, lon)
        val near = safe { store.nearby(lat, lon, 2.0) } ?: return
        update { it.copy(places = near.map { n -> PlaceChoice(n.organization, String.format(Locale.ROOT, "%.1f km", n.distanceKm)) }) }
    }

    /** Loads the leave-behinds in stock (call once, before the form is shown). */
    fun load() {
        val stock = safe { store.stock() } ?: return
        update { it.copy(stock = stock) }
    }

    /** Searches places by name: [setPlaceQuery] then [findPlaces]. */
    fun searchPlaces(query: String) {
        setPlaceQuery(query)
        findPlaces(query)
    }

    /** Sets the place search text (no store call: safe on the main thread while typing). */
    fun setPlaceQuery(query: String) = update { it.copy(placeQuery = query) }

    /** Finds places matching [query]; dropped if the search text has moved on meanwhile. */
    fun findPlaces(query: String) {
        if (query.isBlank()) return
        val orgs = safe { store.organizations() }?.associateBy { it.id } ?: return
        val hits = safe { store.search(query) } ?: return
        update { s ->
            if (s.placeQuery != query) {
                s
            } else {
                s.copy(places = hits.filter { it.kind == "organization" }.mapNotNull { orgs[it.id] }.map { PlaceChoice(it, null) })
            }
        }
    }

    /** Picks the place and lists the people there. */
    fun pick(place: Organization) {
        val people = safe { store.contacts() }?.filter { it.organizationId == place.id } ?: emptyList()
        update { it.copy(place = place, people = people, met = emptySet()) }
    }

    /**
     * Adds a place not known yet (a school or a counselor's office visited for the first
     * time) at the phone's location when known, and picks it. Returns the problem, if any.
     */
    fun addPlace(name: String, kind: OrgKind): String? {
        val org = try {
            store.addOrg(NewOrg(name.trim(), kind, location = here))
        } catch (e: TrellisException) {
            return Format.problem(e).also { p -> update { it.copy(problem = p) } }
        }
        update { it.copy(places = listOf(PlaceChoice(org, null)) + it.places, problem = null) }
        pick(org)
        return null
    }

    /** Adds someone met at the picked place and ticks them. Returns the problem, if any. */
    fun addPerson(name: String, role: String?): String? {
        val place = _state.value.place ?: return "Pick the place you visited."
        val contact = try {
            store.addContact(NewContact(name.trim(), organization = place.id, role = role?.trim()?.ifBlank { null }))
        } catch (e: TrellisException) {
            return Format.problem(e).also { p -> update { it.copy(problem = p) } }
        }
        update { it.copy(people = it.people + contact, met = it.met + contact.id, problem = null) }
        return null
    }

    /**
     * Brings back a half-filled form (after a rotation or the process was ended in the
     * background): the place and people are read fresh; ones deleted meanwhile are dropped.
     */
    fun restore(draft: DropByDraft) {
        if (_state.value.stock.isEmpty()) load()
        val place = draft.placeId?.let { id -> safe { store.organizations() }?.firstOrNull { it.id == id } }
        val people = place?.let { p -> safe { store.contacts() }?.filter { it.organizationId == p.id } } ?: emptyList()
        val ids = people.map { it.id }.toSet()
        update {
            it.copy(
                placeQuery = draft.placeQuery,
                places = if (place != null && it.places.none { c -> c.organization.id == place.id }) {
                    listOf(PlaceChoice(place, null)) + it.places
                } else {
                    it.places
                },
                place = place,
                people = people,
                met = draft.met.filter { id -> id in ids }.toSet(),
                minutes = draft.minutes,
                note = draft.note,
                leftBehind = draft.leftBehind.filterKeys { item -> it.stock.any { s -> s.item == item } },
            )
        }
    }

    /** Ticks or unticks a person met. */
    fun toggleMet(contactId: String) = update {
        it.copy(met = if (contactId in it.met) it.met - contactId else it.met + contactId)
    }

    /** Sets the minutes spent. */
    fun setMinutes(minutes: Int) = update { it.copy(minutes = minutes.coerceAtLeast(0)) }

    /** Sets the note. */
    fun setNote(note: String) = update { it.copy(note = note) }

    /** Sets how many of a leave-behind were left (0 removes it). */
    fun setLeftBehind(item: String, qty: Int) = update {
        it.copy(leftBehind = if (qty <= 0) it.leftBehind - item else it.leftBehind + (item to qty))
    }

    /** Saves the drop-by locally; on success `saved` and `thankYou` are set. */
    fun save() {
        val s = _state.value
        val place = s.place ?: return update { it.copy(problem = "Pick the place you visited.") }
        try {
            val activity = store.logDropBy(
                NewDropBy(
                    organization = place.id,
                    contacts = s.met.toList(),
                    minutes = s.minutes.toUInt(),
                    note = s.note.ifBlank { null },
                    leftBehind = s.leftBehind.map { (item, qty) -> LeftBehind(item, qty.toUInt()) },
                ),
            )
            val thankYou = store.followups(FollowUpFilter.OPEN).firstOrNull { it.activityId == activity.id }
            update { it.copy(saved = activity, thankYou = thankYou, problem = null, stock = safe { store.stock() } ?: it.stock) }
        } catch (e: TrellisException) {
            update { it.copy(problem = Format.problem(e)) }
        }
    }

    private fun update(change: (DropByState) -> DropByState) {
        _state.update(change)
    }

    private fun <T> safe(read: () -> T): T? = try {
        read()
    } catch (e: TrellisException) {
        update { it.copy(problem = Format.problem(e)) }
        null
    }
}

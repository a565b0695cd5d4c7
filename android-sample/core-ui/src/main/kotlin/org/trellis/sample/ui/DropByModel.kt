package org.trellis.sample.ui

import java.util.Locale
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import org.trellis.core.Activity
import org.trellis.core.Contact
import org.trellis.core.FollowUp
import org.trellis.core.FollowUpFilter
import org.trellis.core.LeftBehind
import org.trellis.core.NewDropBy
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
}

/**
 * Logging a drop-by on one screen: pick a nearby place (or search), tick who was met, minutes,
 * a note, leave-behinds, save. Saving is one local transaction and works offline; background
 * sync pushes it when it can. The core records the thank-you follow-up and takes the
 * leave-behinds out of stock.
 */
class DropByModel(private val store: TrellisStore) {
    private val _state = MutableStateFlow(DropByState(stock = safe { store.stock() } ?: emptyList()))

    /** The form's state. */
    val state: StateFlow<DropByState> = _state.asStateFlow()

    /** The privacy hint to show under the note field. */
    val noteHint: String = org.trellis.core.notePrivacyHint()

    /** Offers the places within 2 km of the phone's location, nearest first. */
    fun showNearby(lat: Double, lon: Double) {
        val near = safe { store.nearby(lat, lon, 2.0) } ?: return
        update { it.copy(places = near.map { n -> PlaceChoice(n.organization, String.format(Locale.ROOT, "%.1f km", n.distanceKm)) }) }
    }

    /** Searches places by name. */
    fun searchPlaces(query: String) {
        update { it.copy(placeQuery = query) }
        if (query.isBlank()) return
        val orgs = safe { store.organizations() }?.associateBy { it.id } ?: return
        val hits = safe { store.search(query) } ?: return
        update { s ->
            s.copy(places = hits.filter { it.kind == "organization" }.mapNotNull { orgs[it.id] }.map { PlaceChoice(it, null) })
        }
    }

    /** Picks the place and lists the people there. */
    fun pick(place: Organization) {
        val people = safe { store.contacts() }?.filter { it.organizationId == place.id } ?: emptyList()
        update { it.copy(place = place, people = people, met = emptySet()) }
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
        _state.value = change(_state.value)
    }

    private fun <T> safe(read: () -> T): T? = try {
        read()
    } catch (e: TrellisException) {
        update { it.copy(problem = Format.problem(e)) }
        null
    }
}

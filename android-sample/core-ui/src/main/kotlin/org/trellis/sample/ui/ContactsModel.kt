package org.trellis.sample.ui

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import org.trellis.core.Activity
import org.trellis.core.Contact
import org.trellis.core.ContactDetail
import org.trellis.core.TrellisException
import org.trellis.core.TrellisStore

/** A row of the contacts list. */
data class ContactRow(
    /** Contact id, to open the contact page. */
    val id: String,
    /** Name. */
    val name: String,
    /** Role and organization: "School counselor · Lincoln Middle School". */
    val subtitle: String,
)

/** What the contacts screen shows. */
data class ContactsState(
    /** The search box. */
    val query: String = "",
    /** Contacts by name, or the search's matches, best first. */
    val rows: List<ContactRow> = emptyList(),
    /** A problem to show instead. */
    val problem: String? = null,
)

/** The contacts list with search (the core's full-text search over names, needs and notes). */
class ContactsModel(private val store: TrellisStore) {
    private val _state = MutableStateFlow(ContactsState())

    /** The screen's state. */
    val state: StateFlow<ContactsState> = _state.asStateFlow()

    /** Sets the search text and reloads. */
    fun search(query: String) {
        setQuery(query)
        refresh()
    }

    /** Sets the search text only (no store call: safe on the main thread while typing). */
    fun setQuery(query: String) = _state.update { it.copy(query = query) }

    /**
     * Reloads (call on start, after [setQuery] and when contacts change). A result for a
     * search text that has changed meanwhile is dropped: the newer search follows.
     */
    fun refresh() {
        val query = _state.value.query
        val next = try {
            val contacts = store.contacts()
            val rows = if (query.isBlank()) {
                contacts.map(::row)
            } else {
                val byId = contacts.associateBy { it.id }
                store.search(query).filter { it.kind == "contact" }.mapNotNull { byId[it.id]?.let(::row) }
            }
            ContactsState(query, rows)
        } catch (e: TrellisException) {
            ContactsState(query, problem = Format.problem(e))
        }
        _state.update { if (it.query == query) next else it }
    }

    private fun row(c: Contact) = ContactRow(
        id = c.id,
        name = c.name,
        subtitle = listOfNotNull(c.role, c.organization).joinToString(" · "),
    )
}

/** What a contact page shows: needs, the pitch for their category, history and notes. */
data class ContactPage(
    /** The contact with notes, pitch, open follow-ups and days since the last touch. */
    val detail: ContactDetail,
    /** Activities with this contact, newest first. */
    val history: List<Activity>,
)

/** One contact's page. */
class ContactModel(private val store: TrellisStore, private val contactId: String) {
    private val _state = MutableStateFlow<Result<ContactPage>?>(null)

    /** The page, or the problem loading it; null until loaded. */
    val state: StateFlow<Result<ContactPage>?> = _state.asStateFlow()

    /** Reloads the page. */
    fun refresh() {
        _state.value = try {
            val detail = store.contact(contactId)
            Result.success(ContactPage(detail, detail.history))
        } catch (e: TrellisException) {
            Result.failure(e)
        }
    }

    /** Appends a dated note entry and reloads. Returns the problem, if any. */
    fun addNote(text: String): String? {
        try {
            store.appendNote(contactId, text)
        } catch (e: TrellisException) {
            return Format.problem(e)
        }
        refresh()
        return null
    }
}

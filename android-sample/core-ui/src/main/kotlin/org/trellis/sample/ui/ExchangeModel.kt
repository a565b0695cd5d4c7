package org.trellis.sample.ui

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import org.trellis.core.Fit
import org.trellis.core.Need
import org.trellis.core.NewPost
import org.trellis.core.Outcome
import org.trellis.core.Post
import org.trellis.core.PostFilter
import org.trellis.core.Reply
import org.trellis.core.ReplyInput
import org.trellis.core.TrellisException
import org.trellis.core.TrellisStore

/** What the Exchange screen shows. */
data class ExchangeState(
    /** The current region's name, or null when this phone is in no region. */
    val region: String? = null,
    /** The region's posts as the core ranks them: open first, those that fit this member's card first. */
    val posts: List<Post> = emptyList(),
    /** The post whose replies are open, with them (the author's own posts only). */
    val replies: Pair<String, List<Reply>>? = null,
    /** Referrals the last sync or close recorded in the practice. */
    val recorded: ULong = 0UL,
    /** A problem to show (the core's reason). */
    val problem: String? = null,
)

/**
 * The regional referral exchange: the needs posted to the phone's current region, posting
 * one, replying to a colleague's, reading the replies to one's own and closing it. [region]
 * is the region store of the same file as [practice] (`TrellisStore.openRegion`); a post
 * closed as connected is recorded in the practice as a referral (`recordExchange`).
 *
 * Local calls are synchronous (well under a millisecond); [sync] is a network call.
 */
class ExchangeModel(private val practice: TrellisStore, private val region: TrellisStore) {
    private val _state = MutableStateFlow(ExchangeState())

    /** The screen's state. */
    val state: StateFlow<ExchangeState> = _state.asStateFlow()

    /** Reloads the posts (keeps open replies and what was recorded). */
    fun refresh() {
        _state.value = try {
            val current = region.workspaces().firstOrNull { it.current }
            if (current == null) {
                ExchangeState()
            } else {
                _state.value.copy(region = current.name, posts = region.posts(PostFilter()), problem = null)
            }
        } catch (e: TrellisException) {
            _state.value.copy(problem = Format.problem(e))
        }
    }

    /** Posts [need], open for [days] (7 when null). False, with the core's reason, when refused. */
    fun post(need: Need, days: UInt? = null): Boolean = act { region.postNeed(NewPost(need, days)) }

    /** Replies to a colleague's post. */
    fun reply(postId: String, fit: Fit, weeks: UInt? = null, note: String? = null): Boolean =
        act { region.reply(postId, ReplyInput(fit, weeks, note?.ifBlank { null })) }

    /** Opens the replies to one of this member's posts (yes first). */
    fun openReplies(postId: String): Boolean = act {
        _state.value = _state.value.copy(replies = postId to region.replies(postId))
    }

    /** Closes the replies. */
    fun closeReplies() {
        _state.value = _state.value.copy(replies = null)
    }

    /**
     * Closes one of this member's posts; a connection ([with] the colleague's name or member
     * id) is recorded in the practice as a referral sent at once.
     */
    fun close(postId: String, outcome: Outcome, with: String? = null): Boolean = act {
        region.closePost(postId, outcome, with)
        _state.value = _state.value.copy(recorded = practice.recordExchange(region), replies = null)
    }

    /**
     * Syncs the region (posts and replies in and out; the core records in the practice the
     * connections it brought) and syncs the practice (when shared on a relay) when it
     * recorded any.
     */
    suspend fun sync(): Boolean {
        try {
            val recorded = region.sync().referralsRecorded
            // A practice kept on this phone only has nothing to push them to.
            val shared = practice.workspaces().any { it.current && it.relayUrl != null }
            if (recorded > 0UL && shared) practice.sync()
            _state.value = _state.value.copy(recorded = recorded)
        } catch (e: TrellisException) {
            _state.value = _state.value.copy(problem = Format.problem(e))
            return false
        }
        refresh()
        return true
    }

    private inline fun act(body: () -> Unit): Boolean {
        try {
            body()
        } catch (e: TrellisException) {
            _state.value = _state.value.copy(problem = Format.problem(e))
            return false
        }
        refresh()
        return true
    }
}

/** Words for the exchange's closed lists and a post's one-line summary. */
object ExchangeFormat {
    /** A post's headline: service, age band, what it is about, and whether it fits this member. */
    fun headline(p: Post): String {
        val about = p.need.specialties.joinToString(", ") { ProfileFormat.label(it) }
        val service = p.need.service.name.lowercase().replace('_', ' ')
        val fits = if (p.fits && p.status == "open") " · fits you" else ""
        return listOf(service, ProfileFormat.label(p.need.ageBand), about).filter { it.isNotEmpty() }
            .joinToString(" · ") + fits
    }

    /** A reply's line: who, and yes, waitlist (weeks) or no. */
    fun reply(r: Reply): String = when (r.fit) {
        Fit.YES -> "${r.member}: yes" + (r.weeks?.let { ", within $it weeks" } ?: "")
        Fit.WAITLIST -> "${r.member}: waitlist" + (r.weeks?.let { ", about $it weeks" } ?: "")
        Fit.NO -> "${r.member}: not a fit"
    } + (r.note?.let { " — $it" } ?: "")
}

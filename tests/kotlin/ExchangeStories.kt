// Regions and the referral exchange through the generated Kotlin bindings, against a real
// relay: three therapists of three practices, each phone with its practice store and its region
// store (TrellisStore.openRegion) on the same file. Dana creates a region and invites Sam and
// Ria (each join completed by her region sync handing the keys over, then the joiner's); she
// posts a need; Sam, whose card fits, sees it with `fits`, Ria (full) does not; both reply; only
// Dana reads the replies; she closes it as connected with Sam, and recordExchange records a
// referral sent in her practice and, after Sam's region sync, one received in his. A text
// naming a contact Dana knows is refused and nothing is stored.
// Uses check(), scratch from TrellisBindingsTest.kt and join() from LiveStories.kt.
import java.io.File
import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.trellis.core.*

/** A phone: its practice store (set up for [user], a local practice, [card]) and its region store on the same file. */
private fun phone(user: String, card: CardUpdate): Pair<TrellisStore, TrellisStore> {
    val path = File(Files.createTempDirectory(scratch.toPath(), user).toFile(), "trellis.sqlite3").path
    val practice = TrellisStore.open(path)
    practice.init(user)
    practice.createWorkspace("$user's practice")
    practice.setProfile(card)
    return practice to TrellisStore.openRegion(path)
}

/** A teen with anxiety, on Aetna, in person around 010, within a week or two. */
private fun teenNeed(text: String? = null, specialties: List<Specialty> = listOf(Specialty.ANXIETY)) = NewPost(
    need = Need(
        service = Service.INDIVIDUAL,
        ageBand = AgeBand.TEEN,
        specialties = specialties,
        modalities = listOf(Modality.CBT),
        payer = Payer.Panel(Panel.AETNA),
        zip3 = "010",
        telehealth = null,
        language = null,
        `when` = When.WEEKDAY_EVENING,
        urgency = Urgency.SOON,
        text = text,
    ),
)

private fun sync(store: TrellisStore) = runBlocking { store.sync() }

fun exchangeStories(relay: Relay) {
    check("a need posted to a region is answered, closed as connected and recorded in both practices") {
        val (dana, danaRegion) = phone("Dana", CardUpdate(ageBands = listOf(AgeBand.ADULT)))
        val (sam, samRegion) = phone(
            "Sam",
            CardUpdate(
                ageBands = listOf(AgeBand.TEEN),
                specialties = listOf(Specialty.ANXIETY),
                modalities = listOf(Modality.CBT),
                panels = listOf(Panel.AETNA),
                zip3 = "010",
                openings = Openings.Accepting,
            ),
        )
        val (ria, riaRegion) = phone(
            "Ria",
            CardUpdate(ageBands = listOf(AgeBand.TEEN), panels = listOf(Panel.AETNA), zip3 = "010", openings = Openings.Full),
        )
        val all = listOf(dana, danaRegion, sam, samRegion, ria, riaRegion)
        try {
            assertTrue(danaRegion.isRegion())
            assertFalse(dana.isRegion())
            // No region yet: the exchange has nowhere to post.
            assertFailsWith<TrellisException.NoWorkspace> { danaRegion.posts(PostFilter()) }
            assertEquals(0UL, dana.recordExchange(danaRegion))

            // Dana creates the region; it is the region store's, not the practice's.
            val region = runBlocking {
                danaRegion.createSharedWorkspace("Pioneer Valley", relay.url, Relay.SIGNUP_SECRET)
            }
            assertEquals(listOf("Pioneer Valley"), danaRegion.workspaces().map { it.name })
            assertEquals(listOf("Dana's practice"), dana.workspaces().map { it.name })
            for (joiner in listOf(samRegion, riaRegion)) {
                val code = runBlocking { danaRegion.createInvite(Role.MEMBER, false) }
                assertEquals(region.id, join(danaRegion, joiner, code).id)
            }
            sync(danaRegion) // so Dana's region knows both by name
            assertEquals(setOf("Dana", "Sam", "Ria"), runBlocking { danaRegion.roster() }.map { it.name }.toSet())

            val post = danaRegion.postNeed(teenNeed("Looking for someone warm and direct."))
            assertTrue(post.mine)
            assertEquals("open", post.status)
            assertEquals(0UL, post.replies)
            assertEquals(When.WEEKDAY_EVENING, post.need.`when`)
            assertEquals(Payer.Panel(Panel.AETNA), post.need.payer)
            assertNull(post.notice)
            sync(danaRegion)
            sync(samRegion)
            sync(riaRegion)

            // Sam's card fits; Ria is full, so it does not fit hers.
            val seen = samRegion.posts(PostFilter(fitsMe = true)).single()
            assertEquals(post.id, seen.id)
            assertTrue(seen.fits)
            assertFalse(seen.mine)
            assertEquals("Dana", seen.author)
            assertTrue(seen.score >= 2u, seen.toString())
            val theirs = riaRegion.posts(PostFilter()).single()
            assertEquals(post.id, theirs.id)
            assertFalse(theirs.fits)
            assertEquals(emptyList(), riaRegion.posts(PostFilter(fitsMe = true)))

            // Both reply; replies are sealed to Dana's devices.
            samRegion.reply(post.id.take(8), ReplyInput(Fit.YES, weeks = 1u, note = "Happy to."))
            riaRegion.reply(post.id, ReplyInput(Fit.NO, note = "Try someone who does CBT."))
            sync(samRegion)
            sync(riaRegion)
            sync(danaRegion)
            assertEquals(2UL, danaRegion.post(post.id).replies)
            val replies = danaRegion.replies(post.id)
            assertEquals(listOf("Sam" to Fit.YES, "Ria" to Fit.NO), replies.map { it.member to it.fit })
            assertEquals(1u, replies[0].weeks)
            assertEquals("010", replies[0].card.zip3)
            assertFailsWith<TrellisException.InvalidInput> { samRegion.replies(post.id) }

            // Dana closes it as connected with Sam: a referral sent in her practice, once.
            val closed = danaRegion.closePost(post.id, Outcome.CONNECTED, "Sam")
            assertEquals("connected", closed.status)
            assertEquals("Sam", closed.closedWith)
            assertEquals(1UL, dana.recordExchange(danaRegion))
            assertEquals(0UL, dana.recordExchange(danaRegion))
            val sent = dana.referrals().single()
            assertEquals(ReferralDirection.SENT, sent.direction)
            assertEquals("Sam", sent.contact)

            // Sam's region sync records it as received in his practice, once.
            assertEquals(emptyList(), sam.referrals())
            sync(danaRegion)
            assertEquals(1UL, sync(samRegion).referralsRecorded)
            assertEquals("connected", samRegion.post(post.id).status)
            assertEquals(0UL, sam.recordExchange(samRegion))
            val received = sam.referrals().single()
            assertEquals(ReferralDirection.RECEIVED, received.direction)
            assertEquals("Dana", received.contact)
            sync(riaRegion)
            assertEquals(0UL, ria.recordExchange(riaRegion))
            assertEquals(emptyList(), ria.referrals())

            // A text naming a contact Dana's practice knows is refused; nothing is stored.
            dana.addContact(NewContact(name = "Marisol Ortega"))
            val before = danaRegion.status().pendingChanges
            val mine = danaRegion.posts(PostFilter(mine = true)).size
            val refused = assertFailsWith<TrellisException.InvalidInput> {
                danaRegion.postNeed(teenNeed("Marisol Ortega suggested I ask here."))
            }
            assertTrue(refused.reason.contains("names a contact"), refused.reason)
            assertEquals(before, danaRegion.status().pendingChanges)
            assertEquals(mine, danaRegion.posts(PostFilter(mine = true)).size)

            // A substance-use need carries the Part 2 notice.
            assertEquals(part2Notice(), danaRegion.postNeed(teenNeed(specialties = listOf(Specialty.SUBSTANCE_USE))).notice)
        } finally {
            all.forEach { it.close() }
        }
    }
}

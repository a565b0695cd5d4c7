// Profile cards through the generated Kotlin bindings: the closed lists for the pickers; a
// card written on one phone, refused whole when its ZIP is not three digits (nothing stored),
// emptied field by field; two colleagues of one practice who each write a first card before
// either phone synced, sync, and each read the other's; a card handed out as a vCard with the
// name and the openings.
// Uses check(), therapist() from TrellisBindingsTest.kt and sharedPractice() from LiveStories.kt.
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.trellis.core.*

/** Dana's card: a school-age anxiety specialist with a short waitlist. */
private val danasCard = CardUpdate(
    specialties = listOf(Specialty.SCHOOL_ISSUES, Specialty.ANXIETY),
    ageBands = listOf(AgeBand.TEEN, AgeBand.CHILD),
    modalities = listOf(Modality.CBT),
    panels = listOf(Panel.AETNA, Panel.BCBS),
    selfPay = SelfPayChange.Offer(FeeRange(80u, 150u)),
    languages = listOf(Language.ENGLISH, Language.SPANISH),
    zip3 = "010",
    telehealth = listOf("ma", "NH"),
    credentials = listOf(Credential.LCSW),
    openings = Openings.Waitlist(3u),
    pitch = "I help teens with anxiety get back to school.",
)

fun profileLocalStories() {
    check("the card's closed lists come from the core, in its order, for the app's pickers") {
        val choices = profileChoices()
        assertEquals(Specialty.entries, choices.specialties)
        assertEquals(Population.entries, choices.populations)
        assertEquals(AgeBand.entries, choices.ageBands)
        assertEquals(Modality.entries, choices.modalities)
        assertEquals(Panel.entries, choices.panels)
        assertEquals(Language.entries, choices.languages)
        assertEquals(Credential.entries, choices.credentials)
        assertEquals(51, choices.usStates.size) // the 50 states and DC
        assertTrue("DC" in choices.usStates && "MA" in choices.usStates, choices.usStates.toString())
    }

    check("a card is written on the phone; a bad ZIP refuses it whole; empty text removes a field") {
        therapist("Dana").use { store ->
            // Before she writes one, her card is empty and asks whether she has room.
            val empty = store.profile()
            assertTrue(empty.mine)
            assertTrue(empty.openingsStale)
            assertEquals("Dana", empty.name)
            assertEquals(store.workspaces().single().memberId, empty.memberId)
            assertEquals(emptyList(), empty.card.specialties)
            assertNull(empty.card.openings)
            assertEquals(emptyList(), store.profiles()) // nobody wrote one

            val mine = store.setProfile(danasCard)
            assertFalse(mine.openingsStale, "just confirmed")
            assertNotNull(mine.card.openingsConfirmedAt)
            assertEquals(Openings.Waitlist(3u), mine.card.openings)
            assertEquals(listOf("MA", "NH"), mine.card.telehealth)
            assertEquals(FeeRange(80u, 150u), mine.card.selfPay)
            assertEquals(setOf(Specialty.ANXIETY, Specialty.SCHOOL_ISSUES), mine.card.specialties.toSet())
            assertEquals(mine, store.profile())
            assertEquals(listOf(mine), store.profiles())

            // A ZIP finer than three digits: refused, and the openings given with it are not kept.
            val before = store.status().pendingChanges
            val bad = assertFailsWith<TrellisException.InvalidInput> {
                store.setProfile(CardUpdate(zip3 = "01002", openings = Openings.Full))
            }
            assertTrue(bad.reason.contains("01002"), bad.reason)
            assertFailsWith<TrellisException.InvalidInput> { store.setProfile(CardUpdate(telehealth = listOf("Massachusetts"))) }
            assertFailsWith<TrellisException.InvalidInput> { store.setProfile(CardUpdate(pitch = "a".repeat(601))) }
            // A fee range upside down, a waitlist of no weeks: refused too.
            assertFailsWith<TrellisException.InvalidInput> {
                store.setProfile(CardUpdate(selfPay = SelfPayChange.Offer(FeeRange(200u, 100u))))
            }
            assertFailsWith<TrellisException.InvalidInput> { store.setProfile(CardUpdate(openings = Openings.Waitlist(0u))) }
            assertEquals(before, store.status().pendingChanges)
            assertEquals(mine, store.profile())

            // Empty text removes the ZIP and the pitch, Clear the fees, an empty list the panels;
            // what is not named stays.
            val cleared = store.setProfile(
                CardUpdate(zip3 = "", pitch = " ", selfPay = SelfPayChange.Clear, panels = emptyList())
            )
            assertNull(cleared.card.zip3)
            assertNull(cleared.card.pitch)
            assertNull(cleared.card.selfPay)
            assertEquals(emptyList(), cleared.card.panels)
            assertEquals(mine.card.specialties, cleared.card.specialties)
            assertEquals(mine.card.openingsConfirmedAt, cleared.card.openingsConfirmedAt)
        }
    }
}

fun profileStories(relay: Relay) {
    check("two colleagues write their cards, sync and read each other's; the vCard has name and openings") {
        val (a, b) = sharedPractice(relay, "Card Practice")
        try {
            // Each writes a first card on a phone that has not seen the other's.
            val danas = a.setProfile(danasCard)
            val sams = b.setProfile(
                CardUpdate(
                    populations = listOf(Population.VETERANS),
                    modalities = listOf(Modality.EMDR),
                    credentials = listOf(Credential.LMFT),
                    zip3 = "021",
                    openings = Openings.Full,
                )
            )

            // Sam mistypes his ZIP with the openings he means to confirm: nothing is stored.
            val pending = b.status().pendingChanges
            val refused = assertFailsWith<TrellisException.InvalidInput> {
                b.setProfile(CardUpdate(zip3 = "02139", openings = Openings.Accepting))
            }
            assertTrue(refused.reason.contains("02139"), refused.reason)
            assertEquals(pending, b.status().pendingChanges)
            assertEquals(sams, b.profile())

            runBlocking { a.sync() }
            runBlocking { b.sync() }
            runBlocking { a.sync() }

            // Sam reads Dana's card as she wrote it, and Dana reads Sam's.
            val seenBySam = b.profile("Dana")
            assertFalse(seenBySam.mine)
            assertEquals("Dana", seenBySam.name)
            assertEquals(danas.memberId, seenBySam.memberId)
            assertEquals(danas.card, seenBySam.card)
            assertFalse(seenBySam.openingsStale)
            val seenByDana = a.profile(sams.memberId.take(8))
            assertEquals("Sam", seenByDana.name)
            assertEquals(sams.card, seenByDana.card)
            assertEquals(Openings.Full, seenByDana.card.openings)
            assertEquals("021", seenByDana.card.zip3)
            for (phone in listOf(a, b)) {
                val all = phone.profiles()
                assertEquals(listOf("Dana", "Sam"), all.map { it.name })
                assertEquals(listOf(phone === a, phone === b), all.map { it.mine })
            }
            assertFailsWith<TrellisException.NotFound> { a.profile("Nobody Known") }

            // A later change replaces only what it names, and reaches the colleague too.
            a.setProfile(CardUpdate(openings = Openings.Accepting))
            runBlocking { a.sync() }
            runBlocking { b.sync() }
            val updated = b.profile("Dana").card
            assertEquals(Openings.Accepting, updated.openings)
            assertEquals(danas.card.panels, updated.panels)

            // Dana's card as a vCard from Sam's phone, for a school counselor's address book.
            val vcf = b.profileVcard("Dana")
            assertTrue(vcf.startsWith("BEGIN:VCARD\r\nVERSION:4.0\r\n"), vcf)
            for (line in listOf("FN:Dana", "TITLE:LCSW", "X-TRELLIS-OPENINGS:accepting", "X-TRELLIS-ZIP3:010", "LANG:es")) {
                assertTrue(vcf.contains(line), "$line in $vcf")
            }
            val own = b.profileVcard()
            assertTrue(own.contains("FN:Sam") && own.contains("X-TRELLIS-OPENINGS:full"), own)
        } finally {
            a.close()
            b.close()
        }
    }
}

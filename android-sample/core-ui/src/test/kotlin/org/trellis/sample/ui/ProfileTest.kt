package org.trellis.sample.ui

import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.After
import org.junit.Before
import org.junit.Test
import org.trellis.core.AgeBand
import org.trellis.core.Credential
import org.trellis.core.FeeRange
import org.trellis.core.Language
import org.trellis.core.Modality
import org.trellis.core.Openings
import org.trellis.core.Panel
import org.trellis.core.Population
import org.trellis.core.Profile
import org.trellis.core.ProfileCard
import org.trellis.core.Role
import org.trellis.core.Specialty
import org.trellis.core.TrellisStore

/** The "My card" screen and colleagues' cards on Members, against the real library. */
class ProfileTest {
    private lateinit var session: TrellisSession
    private val store: TrellisStore get() = session.store

    @Before
    fun phone() {
        val dir = Files.createTempDirectory("core-ui-card").toFile()
        session = TrellisSession.open(dir.resolve("trellis.sqlite3").path)
        store.init("Dana Whitfield")
        store.createWorkspace("Maple Street Counseling")
    }

    @After
    fun close() = session.close()

    @Test
    fun everyChoiceHasItsOwnLabelAndThePickersFollowTheCore() {
        val model = MyCardModel(store)
        val c = model.choices
        fun <T> distinct(values: List<T>, label: (T) -> String) {
            assertTrue(values.isNotEmpty())
            val labels = values.map(label)
            assertTrue(labels.none { it.isBlank() }, labels.toString())
            assertEquals(labels.size, labels.toSet().size, labels.toString())
        }
        distinct(c.specialties, ProfileFormat::label)
        distinct(c.populations, ProfileFormat::label)
        distinct(c.ageBands, ProfileFormat::label)
        distinct(c.modalities, ProfileFormat::label)
        distinct(c.panels, ProfileFormat::label)
        distinct(c.languages, ProfileFormat::label)
        distinct(c.credentials, ProfileFormat::label)
        assertEquals(Specialty.entries, c.specialties)
        assertEquals(listOf("0–5", "6–12", "13–17", "18–25", "26–64", "65+"), c.ageBands.map(ProfileFormat::label))
        assertTrue("MA" in c.usStates && "DC" in c.usStates)
    }

    @Test
    fun myCardIsFilledInSavedAndTheNudgeAnswered() {
        val model = MyCardModel(store)
        model.load()
        // Never said whether she takes new clients: the nudge asks.
        assertTrue(model.state.value.nudge)
        assertEquals("Are you still taking new clients?", ProfileFormat.NUDGE)
        assertFalse(model.state.value.edited)

        model.edit {
            it.copy(
                specialties = it.specialties.toggled(Specialty.ANXIETY).toggled(Specialty.SCHOOL_ISSUES),
                ageBands = setOf(AgeBand.TEEN),
                modalities = setOf(Modality.CBT),
                panels = setOf(Panel.AETNA, Panel.BCBS),
                languages = setOf(Language.ENGLISH, Language.SPANISH),
                telehealth = setOf("MA", "NH"),
                zip3 = " 010 ",
                credentials = setOf(Credential.LCSW),
                feeMin = "80",
                feeMax = "$150",
                openings = Openings.Waitlist(3u),
                pitch = "I help teens with anxiety get back to school.",
            )
        }
        assertTrue(model.state.value.edited)
        assertNull(model.save())
        val saved = model.state.value
        assertEquals(MyCardModel.SAVED, saved.notice)
        assertFalse(saved.edited)
        assertFalse(saved.nudge, "saying waitlist confirmed the openings")
        val card = assertNotNull(saved.profile).card
        assertEquals(listOf(Specialty.ANXIETY, Specialty.SCHOOL_ISSUES), card.specialties)
        assertEquals("010", card.zip3)
        assertEquals(FeeRange(80u, 150u), card.selfPay)
        assertEquals(Openings.Waitlist(3u), card.openings)
        assertEquals(card, store.profile().card)

        // Other edits leave the openings' confirmation alone: only saying them again confirms.
        Thread.sleep(1100) // the core's times are to the second
        model.edit { it.copy(specialties = it.specialties.toggled(Specialty.ADHD)) }
        assertNull(model.save())
        assertEquals(card.openingsConfirmedAt, store.profile().card.openingsConfirmedAt)
        assertEquals(3, store.profile().card.specialties.size)

        // The nudge's answer confirms at once, and keeps what else the form holds unsaved.
        model.edit { it.copy(pitch = "Not saved yet") }
        assertNull(model.confirmOpenings(Openings.Accepting))
        assertEquals(Openings.Accepting, store.profile().card.openings)
        assertEquals(MyCardModel.CONFIRMED, model.state.value.notice)
        assertEquals("Not saved yet", model.state.value.draft.pitch)
        assertTrue(model.state.value.edited)
        model.discard()
        assertFalse(model.state.value.edited)
    }

    @Test
    fun aBadZipIsRefusedWithTheCoresReasonAndNothingIsStored() {
        val model = MyCardModel(store)
        model.load()
        model.edit { it.copy(zip3 = "01002", openings = Openings.Full, specialties = setOf(Specialty.GRIEF_LOSS)) }
        val pending = store.status().pendingChanges
        val problem = assertNotNull(model.save())
        assertTrue(problem.contains("01002"), problem)
        assertEquals(problem, model.state.value.problem)
        assertEquals("01002", model.state.value.draft.zip3) // kept, to fix
        assertEquals(pending, store.status().pendingChanges)
        assertNull(store.profile().card.openings)
        assertEquals(emptyList(), store.profiles())

        // Fees that are not whole dollars never reach the store.
        model.edit { it.copy(zip3 = "010", feeMin = "eighty", feeMax = "150") }
        assertEquals(CardDraft.FEES_PROBLEM, model.save())
        // Upside down: the core refuses it, with its sentence.
        model.edit { it.copy(feeMin = "200", feeMax = "100") }
        assertTrue(assertNotNull(model.save()).contains("self-pay range"), model.state.value.problem)
        assertEquals(pending, store.status().pendingChanges)
        model.edit { it.copy(feeMin = "", feeMax = "") } // both empty: no self-pay
        assertNull(model.save())
        assertNull(store.profile().card.selfPay)
        assertEquals(listOf(Specialty.GRIEF_LOSS), store.profile().card.specialties)

        // Emptying the ZIP removes it.
        model.edit { it.copy(zip3 = "") }
        assertNull(model.save())
        assertNull(store.profile().card.zip3)
    }

    @Test
    fun aCardReadsAsLinesAndAHeadline() {
        val empty = ProfileCard(emptyList(), emptyList(), emptyList(), emptyList(), emptyList(), null, emptyList(), null, emptyList(), emptyList(), null, null, null)
        val p = Profile("ab".repeat(16), "Sam Okafor", false, empty, true)
        assertTrue(ProfileFormat.isEmpty(empty))
        assertNull(ProfileFormat.headline(p))
        assertEquals(listOf("Openings" to "Openings not given"), ProfileFormat.lines(empty))

        val card = empty.copy(
            specialties = listOf(Specialty.TRAUMA_PTSD, Specialty.ANXIETY, Specialty.GRIEF_LOSS, Specialty.SLEEP),
            populations = listOf(Population.VETERANS),
            selfPay = FeeRange(120u, 120u),
            zip3 = "021",
            telehealth = listOf("MA", "RI"),
            credentials = listOf(Credential.LMFT, Credential.PHD),
            openings = Openings.Waitlist(1u),
        )
        val sam = p.copy(card = card)
        assertEquals("Waitlist of about 1 week · Trauma and PTSD, Anxiety, Grief and loss, …", ProfileFormat.headline(sam))
        assertEquals("Sam Okafor, LMFT, PhD", ProfileFormat.nameLine(sam))
        assertEquals(
            listOf(
                "Openings" to "Waitlist of about 1 week",
                "Treats" to "Trauma and PTSD, Anxiety, Grief and loss, Sleep",
                "Sees" to "Veterans",
                "Self-pay" to "\$120 a session",
                "In person" to "ZIP 021xx",
                "Telehealth in" to "MA, RI",
                "Credentials" to "LMFT, PhD",
            ),
            ProfileFormat.lines(card),
        )
        assertEquals("\$80–\$150 a session", ProfileFormat.fees(FeeRange(80u, 150u)))
        assertEquals("Not taking new clients", ProfileFormat.openings(Openings.Full))
    }

    @Test
    fun aColleaguesCardIsReadFromMembersAfterASync() = runBlocking {
        val bin = TestRelay.binary() ?: return@runBlocking println("skipped: no trellis-relay built")
        TestRelay.start(bin).use { relay ->
            val a = Files.createTempDirectory("core-ui-card-a").toFile()
            val b = Files.createTempDirectory("core-ui-card-b").toFile()
            TrellisSession.open(a.resolve("t.sqlite3").path).use { dana ->
                TrellisSession.open(b.resolve("t.sqlite3").path).use { sam ->
                    val practice = PracticeModel(dana.store)
                    practice.create("Dana", "Cedar Counseling", relay.url, TestRelay.SECRET)
                    practice.invite(Role.MEMBER)
                    val join = JoinModel(sam.store)
                    join.join("Sam", assertIs<PracticeState.Invite>(practice.state.value).code)
                    dana.store.sync() // lets Sam's phone in
                    sam.store.sync()
                    join.recheck()
                    assertIs<JoinState.Joined>(join.state.value)

                    // Dana fills in her card and syncs; Sam's phone pulls it.
                    val mine = MyCardModel(dana.store)
                    mine.load()
                    mine.edit { it.copy(specialties = setOf(Specialty.ANXIETY), openings = Openings.Accepting, zip3 = "010") }
                    assertNull(mine.save())
                    dana.store.sync()
                    sam.store.sync()

                    // On Sam's Members screen, Dana's row offers her card.
                    val members = MembersModel(sam.store)
                    members.refresh()
                    val danaRow = members.state.value.members.single { it.name == "Dana" }
                    val hers = assertNotNull(members.state.value.cards[danaRow.memberId])
                    assertFalse(hers.mine)
                    assertEquals("Taking new clients · Anxiety", ProfileFormat.headline(hers))
                    assertNull(members.state.value.cards[members.state.value.members.single { it.name == "Sam" }.memberId])

                    val page = CardModel(sam.store, danaRow.memberId)
                    page.refresh()
                    val card = page.state.value!!.getOrThrow()
                    assertEquals("Dana", card.name)
                    assertEquals("ZIP 010xx", ProfileFormat.lines(card.card).toMap()["In person"])
                    val vcf = assertNotNull(page.vcard())
                    assertTrue(vcf.contains("FN:Dana") && vcf.contains("X-TRELLIS-OPENINGS:accepting"), vcf)

                    // A member nobody knows: the page says why instead of a card.
                    val nobody = CardModel(sam.store, "Nobody Known")
                    nobody.refresh()
                    assertTrue(nobody.state.value!!.isFailure)
                    assertNull(nobody.vcard())
                }
            }
        }
    }
}

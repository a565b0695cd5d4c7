package org.trellis.sample.ui

import java.nio.file.Files
import java.time.LocalDate
import java.time.ZoneId
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.After
import org.junit.Before
import org.junit.Test
import org.trellis.core.FollowUpKind
import org.trellis.core.NewContact
import org.trellis.core.NewOrg
import org.trellis.core.OrgKind
import org.trellis.core.ReferralDirection
import org.trellis.core.TrellisStore

/** The screens' models against the real library: what a therapist does in the app. */
class StoriesTest {
    private lateinit var session: TrellisSession
    private val store: TrellisStore get() = session.store

    @Before
    fun phone() {
        val dir = Files.createTempDirectory("core-ui").toFile()
        session = TrellisSession.open(dir.resolve("trellis.sqlite3").path)
        store.init("Dana")
        store.createWorkspace("Maple Street Counseling")
        store.addOrg(NewOrg("Lincoln Middle School", OrgKind.SCHOOL))
        store.setOrgLocation("Lincoln", 41.8790, -87.6360)
        store.addOrg(NewOrg("Elm Pediatrics", OrgKind.PRIMARY_CARE))
        store.addContact(NewContact("Priya Shah", organization = "Lincoln", role = "School counselor"))
        store.restock("brochures", 20u)
    }

    @After
    fun close() = session.close()

    @Test
    fun aDropByLoggedInTheCorridorShowsUpOnToday() {
        val form = DropByModel(store)
        form.showNearby(41.8795, -87.6365) // a few dozen metres away
        val place = form.state.value.places.single()
        assertEquals("Lincoln Middle School", place.organization.name)
        assertEquals("0.1 km", place.distance)
        form.pick(place.organization)
        val priya = form.state.value.people.single()
        form.toggleMet(priya.id)
        form.setMinutes(20)
        form.setNote("Talked about the spring anxiety group")
        form.setLeftBehind("brochures", 5)
        assertTrue(form.state.value.canSave)
        form.save()

        val saved = form.state.value
        assertEquals(null, saved.problem)
        assertNotNull(saved.saved)
        val thankYou = assertNotNull(saved.thankYou)
        assertEquals(FollowUpKind.THANK_YOU, thankYou.kind)
        assertEquals("Thank-you: Priya Shah, Lincoln Middle School", Format.followUpTitle(thankYou))
        assertEquals("due in 2 days", Format.due(thankYou.dueAt, LocalDate.now(ZoneId.systemDefault()), ZoneId.systemDefault()))
        assertEquals(15L, saved.stock.single { it.item == "brochures" }.stock)
        assertFalse(saved.canSave) // saved once

        val today = TodayModel(store)
        today.refresh()
        assertEquals(20, today.state.value.minutesThisWeek)
        assertEquals(listOf(thankYou.id), today.state.value.upcoming.map { it.id })
        assertEquals("Maple Street Counseling", today.state.value.practice)

        val page = ContactModel(store, priya.id)
        page.refresh()
        val contact = page.state.value!!.getOrThrow()
        assertEquals(listOf(saved.saved?.id), contact.history.map { it.id })
    }

    @Test
    fun placesAndContactsAreFoundBySearch() {
        val form = DropByModel(store)
        form.searchPlaces("elm")
        assertEquals(listOf("Elm Pediatrics"), form.state.value.places.map { it.organization.name })
        form.save() // no place picked
        assertEquals("Pick the place you visited.", form.state.value.problem)

        val contacts = ContactsModel(store)
        contacts.refresh()
        assertEquals(listOf("Priya Shah"), contacts.state.value.rows.map { it.name })
        assertEquals("School counselor · Lincoln Middle School", contacts.state.value.rows[0].subtitle)
        contacts.search("pri")
        assertEquals(1, contacts.state.value.rows.size)
        contacts.search("nobody")
        assertEquals(emptyList(), contacts.state.value.rows)
    }

    @Test
    fun aReferralIsRecordedAndAnUnknownPartnerIsExplained() {
        val referrals = ReferralsModel(store)
        assertTrue(referrals.record(ReferralDirection.RECEIVED, "Priya Shah", "adolescent anxiety", null))
        assertEquals(1, referrals.state.value.referrals.size)
        assertEquals(listOf("adolescent anxiety"), referrals.state.value.reasons)
        assertFalse(referrals.record(ReferralDirection.RECEIVED, "Nobody Known", "grief", null))
        assertNotNull(referrals.state.value.problem)
    }

    @Test
    fun aMangledInviteCodeIsRefusedWithAReason() = runBlocking {
        val join = JoinModel(store)
        join.join("Dana", "  not-a-real-code  ")
        val failed = assertIs<JoinState.Failed>(join.state.value)
        assertTrue(failed.problem.isNotBlank())
    }

    @Test
    fun backgroundSyncStartsAndStopsWithTheApp() = runBlocking {
        session.startLiveSync()
        assertTrue(session.isLive)
        session.stopLiveSync()
        assertFalse(session.isLive)
    }
}

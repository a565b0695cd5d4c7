package org.trellis.sample.ui

import java.nio.file.Files
import java.time.Instant
import java.time.LocalDate
import java.time.ZoneId
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.After
import org.junit.Before
import org.junit.Test
import org.trellis.core.FollowUp
import org.trellis.core.FollowUpKind
import org.trellis.core.NewContact
import org.trellis.core.NewOrg
import org.trellis.core.OrgKind
import org.trellis.core.ReferralDirection
import org.trellis.core.Role
import org.trellis.core.TrellisException
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
    fun aNewSchoolAndItsCounselorAreAddedWhileLoggingTheVisit() {
        val form = DropByModel(store)
        form.showNearby(42.0, -87.0) // nowhere known
        assertEquals(emptyList(), form.state.value.places)
        assertEquals(null, form.addPlace("Roosevelt High School", OrgKind.SCHOOL))
        assertEquals("Roosevelt High School", form.state.value.place?.name)
        assertEquals(null, form.addPerson("Marcus Lee", "Lead counselor"))
        val marcus = form.state.value.people.single()
        assertEquals(setOf(marcus.id), form.state.value.met)
        form.save()
        assertNotNull(form.state.value.saved)
        assertEquals("Thank-you: Marcus Lee, Roosevelt High School", Format.followUpTitle(assertNotNull(form.state.value.thankYou)))

        // The new school was stored where the phone was: nearby on the next visit.
        val next = DropByModel(store)
        next.showNearby(42.0005, -87.0005)
        assertEquals(listOf("Roosevelt High School"), next.state.value.places.map { it.organization.name })
        assertEquals(listOf("Marcus Lee"), ContactsModel(store).also { it.search("marcus") }.state.value.rows.map { it.name })
    }

    @Test
    fun aHalfFilledDropBySurvivesBeingSavedAndRestored() {
        val form = DropByModel(store)
        form.searchPlaces("lincoln")
        form.pick(form.state.value.places.single().organization)
        val priya = form.state.value.people.single()
        form.toggleMet(priya.id)
        form.setMinutes(30)
        form.setNote("Spring group")
        form.setLeftBehind("brochures", 3)

        // What Android's SavedStateHandle keeps: a map of strings, ints and string lists.
        val saved = form.state.value.draft.toSaved()
        assertTrue(saved.values.all { it is String || it is Int || it is ArrayList<*> })
        val draft = assertNotNull(DropByDraft.fromSaved { saved[it] })
        assertEquals(form.state.value.draft, draft)

        val again = DropByModel(store) // a new screen after the rotation
        again.restore(draft)
        val s = again.state.value
        assertEquals("Lincoln Middle School", s.place?.name)
        assertEquals(setOf(priya.id), s.met)
        assertEquals(30, s.minutes)
        assertEquals("Spring group", s.note)
        assertEquals(mapOf("brochures" to 3), s.leftBehind)
        assertTrue(s.canSave)
        assertEquals(null, DropByDraft.fromSaved { null }) // nothing saved: a fresh form
    }

    @Test
    fun todayListsMyFollowUpsBeforeMyColleagues() {
        fun followUp(id: String, owner: String) = FollowUp(
            id, FollowUpKind.CHECK_IN, null, null, null, null, null, "2026-05-01T09:00:00Z", null, null,
            if (owner == "me") "Dana" else "Sam", owner, false,
        )
        val ordered = TodayState.mineFirst(listOf(followUp("a", "sam"), followUp("b", "me"), followUp("c", "sam"), followUp("d", "me")), "me")
        assertEquals(listOf("b", "d", "a", "c"), ordered.map { it.id })
        val state = TodayState(me = "me")
        assertEquals(null, state.owner(followUp("b", "me")))
        assertEquals("Sam's", state.owner(followUp("a", "sam")))

        // In the app: the store says who "me" is.
        val today = TodayModel(store)
        today.refresh()
        assertEquals(store.workspaces().single { it.current }.memberId, today.state.value.me)
    }

    @Test
    fun aLocalPracticeIsMadeOnThePhoneAndHasNothingToSyncInTheBackground() = runBlocking {
        val dir = Files.createTempDirectory("core-ui-new").toFile()
        TrellisSession.open(dir.resolve("trellis.sqlite3").path).use { phone ->
            val practice = PracticeModel(phone.store)
            practice.create("Ana", "Oak Family Therapy", relayUrl = "", signupSecret = "")
            assertEquals("Oak Family Therapy", assertIs<PracticeState.Created>(practice.state.value).workspace.name)
            phone.store.addOrg(NewOrg("Oak Elementary", OrgKind.SCHOOL))
            assertFalse(SyncPolicy.needsRun(phone.store)) // no relay: nowhere to push
            assertEquals(SyncDecision.Done, SyncPolicy.afterAttempt(SyncPolicy.attempt(phone.store), 0))
            practice.invite(Role.MEMBER) // invites need a relay
            assertTrue(assertIs<PracticeState.Failed>(practice.state.value).problem.isNotBlank())
        }
    }

    @Test
    fun aPracticeStartedOnThePhoneInvitesAColleagueAndBackgroundSyncPushesAVisit() = runBlocking {
        val bin = TestRelay.binary() ?: return@runBlocking println("skipped: no trellis-relay built")
        TestRelay.start(bin).use { relay ->
            val a = Files.createTempDirectory("core-ui-a").toFile()
            val b = Files.createTempDirectory("core-ui-b").toFile()
            TrellisSession.open(a.resolve("t.sqlite3").path).use { dana ->
                TrellisSession.open(b.resolve("t.sqlite3").path).use { sam ->
                    val practice = PracticeModel(dana.store)
                    practice.create("Dana", "Birch Counseling", relay.url, TestRelay.SECRET)
                    assertIs<PracticeState.Created>(practice.state.value)
                    practice.invite(Role.MEMBER)
                    val invite = assertIs<PracticeState.Invite>(practice.state.value)
                    assertEquals("Birch Counseling", invite.practice)
                    assertTrue(invite.text.endsWith(invite.code))

                    // Sam scans or pastes the code: his phone is admitted and waits for a
                    // colleague's device to let it in (the code holds no key).
                    val join = JoinModel(sam.store)
                    join.join("Sam", "\n ${invite.code} \n")
                    val waiting = assertIs<JoinState.AwaitingKeys>(join.state.value)
                    assertTrue(waiting.workspace.awaitingKeys)
                    assertEquals("", waiting.workspace.name)
                    assertFalse(waiting.checking)
                    assertEquals(null, waiting.problem)
                    assertEquals("Waiting for a colleague's device to let this one in", JoinModel.WAITING_TEXT)
                    assertFailsWith<TrellisException.AwaitingKeys> { sam.store.sync() }
                    // "Sync now" before Dana's phone synced: still waiting, nothing to show as a problem.
                    join.syncNow()
                    assertEquals(waiting, join.state.value)
                    // The app closed and opened again meanwhile: the join is picked up where it was.
                    val reopened = JoinModel(sam.store)
                    assertTrue(reopened.resume())
                    assertEquals(waiting.workspace.id, assertIs<JoinState.AwaitingKeys>(reopened.state.value).workspace.id)
                    assertFalse(JoinModel(dana.store).resume())

                    // Dana's phone syncs and lets Sam's in; "Sync now" on Sam's takes the keys
                    // and pulls the practice.
                    assertEquals(1uL, dana.store.sync().keysGranted)
                    join.syncNow()
                    assertEquals("Birch Counseling", assertIs<JoinState.Joined>(join.state.value).workspace.name)
                    assertEquals(null, JoinModel.awaiting(sam.store))
                    assertEquals(listOf("Birch Counseling"), sam.store.workspaces().map { it.name })

                    // Dana logs a visit with no sync running: a background run is due and pushes it.
                    dana.store.addOrg(NewOrg("Birch Middle School", OrgKind.SCHOOL))
                    dana.store.addContact(NewContact("Jo Park", organization = "Birch Middle School"))
                    val form = DropByModel(dana.store)
                    form.searchPlaces("birch middle")
                    form.pick(form.state.value.places.single().organization)
                    form.toggleMet(form.state.value.people.single().id)
                    form.save()
                    assertNotNull(form.state.value.thankYou)
                    assertTrue(SyncPolicy.needsRun(dana.store))
                    assertEquals(SyncDecision.Done, SyncPolicy.afterAttempt(SyncPolicy.attempt(dana.store), 0))
                    assertFalse(SyncPolicy.needsRun(dana.store))

                    sam.store.sync()
                    assertEquals(1, sam.store.activities().size)
                    // Sam's Today lists Dana's thank-you after Sam's own (none yet), owned by Dana.
                    val today = TodayModel(sam.store)
                    today.refresh()
                    val theirs = today.state.value.upcoming.single()
                    assertEquals("Dana's", today.state.value.owner(theirs))

                    // Dana invites a second colleague; the code goes astray. Members lists the
                    // open invite (Sam's, used, is gone) and Dana cancels it: it lets nobody in.
                    practice.invite(Role.MEMBER)
                    val astray = assertIs<PracticeState.Invite>(practice.state.value).code
                    val members = MembersModel(dana.store)
                    members.refresh()
                    assertEquals(null, members.state.value.problem)
                    val open = members.state.value.invites.single()
                    assertTrue(open.madeHere)
                    assertFalse(open.device)
                    assertEquals(Role.MEMBER, open.role)
                    assertTrue(MembersFormat.invite(open, Instant.now()).startsWith("${MembersFormat.inviteName(open)} · a new member · made on this phone · expires in "))
                    // Sam, a member, sees no invite of Dana's to cancel.
                    val samsView = MembersModel(sam.store)
                    samsView.refresh()
                    assertEquals(null, samsView.state.value.problem)
                    assertEquals(emptyList(), samsView.state.value.invites)

                    assertEquals(null, members.cancel(open))
                    assertEquals(emptyList(), members.state.value.invites)
                    assertEquals(MembersFormat.cancelled(open), members.state.value.notice)
                    members.refresh()
                    assertEquals(emptyList(), members.state.value.invites)
                    assertNotNull(members.cancel(open)) // twice: no such open invite

                    val c = Files.createTempDirectory("core-ui-c").toFile()
                    TrellisSession.open(c.resolve("t.sqlite3").path).use { stranger ->
                        val refused = JoinModel(stranger.store)
                        refused.join("Alex", astray)
                        assertTrue(assertIs<JoinState.Failed>(refused.state.value).problem.isNotBlank())
                        assertEquals(emptyList(), stranger.store.workspaces())
                    }
                }
            }
        }
    }

    @Test
    fun aColleaguesFingerprintIsComparedAndHerDeviceVerified() = runBlocking {
        val bin = TestRelay.binary() ?: return@runBlocking println("skipped: no trellis-relay built")
        TestRelay.start(bin).use { relay ->
            val a = Files.createTempDirectory("core-ui-fp-a").toFile()
            val b = Files.createTempDirectory("core-ui-fp-b").toFile()
            TrellisSession.open(a.resolve("t.sqlite3").path).use { dana ->
                TrellisSession.open(b.resolve("t.sqlite3").path).use { sam ->
                    val practice = PracticeModel(dana.store)
                    practice.create("Dana", "Aspen Counseling", relay.url, TestRelay.SECRET)
                    practice.invite(Role.MEMBER)
                    val code = assertIs<PracticeState.Invite>(practice.state.value).code
                    val join = JoinModel(sam.store)
                    join.join("Sam", code)
                    assertTrue(assertIs<JoinState.AwaitingKeys>(join.state.value).workspace.awaitingKeys)
                    assertFailsWith<TrellisException.AwaitingKeys> { sam.store.sync() }
                    // Dana's phone hands the practice's keys over at its next sync; Sam's takes
                    // them (a background sync here, not the waiting screen's button, which then
                    // sees the join done) and introduces him; Dana's learns his name.
                    assertEquals(1uL, dana.store.sync().keysGranted)
                    sam.store.sync()
                    join.recheck()
                    assertEquals("Aspen Counseling", assertIs<JoinState.Joined>(join.state.value).workspace.name)
                    dana.store.sync()

                    val members = MembersModel(dana.store)
                    members.refresh()
                    val s = members.state.value
                    assertEquals(null, s.problem)
                    assertEquals(null, s.rosterProblem)
                    assertEquals(dana.store.fingerprint(), s.fingerprint)
                    assertTrue(Regex("""\d{5} \d{5} \d{5} \d{5}""").matches(s.fingerprint), s.fingerprint)
                    val me = s.members.single { it.name == "Dana" }
                    assertEquals("this phone", MembersFormat.deviceStatus(me.devices.single()))
                    assertFalse(MembersModel.canVerify(me))
                    val samRow = s.members.single { it.name == "Sam" }
                    val samsPhone = samRow.devices.single()
                    assertEquals(sam.store.fingerprint(), samsPhone.fingerprint)
                    assertEquals("not verified", MembersFormat.deviceStatus(samsPhone))
                    assertTrue(MembersModel.canVerify(samRow))

                    // A digit misread: refused with a reason, nothing recorded.
                    val right = samsPhone.fingerprint
                    val wrong = (if (right[0] == '9') "0" else "9") + right.drop(1)
                    assertNotNull(members.verify(samRow, wrong))
                    assertNotNull(members.state.value.problem)
                    members.refresh()
                    assertFalse(members.state.value.members.single { it.name == "Sam" }.devices.single().verified)

                    // Read right, typed without the spaces: verified, and kept on Dana's phone.
                    assertEquals(null, members.verify(samRow, right.replace(" ", "")))
                    assertEquals("Sam's device is verified on this phone.", members.state.value.notice)
                    members.refresh()
                    val verified = members.state.value.members.single { it.name == "Sam" }
                    assertEquals("verified", MembersFormat.deviceStatus(verified.devices.single()))
                    assertFalse(MembersModel.canVerify(verified))
                    assertEquals(null, MembersFormat.flag(verified))
                }
            }
        }
    }

    @Test
    fun backgroundSyncStartsAndStopsWithTheApp() = runBlocking {
        session.startLiveSync()
        assertTrue(session.isLive)
        session.stopLiveSync()
        assertFalse(session.isLive)
    }
}

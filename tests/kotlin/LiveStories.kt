// Stories of live updates, membership and import/export through the generated Kotlin bindings:
// a screen's listener hears a drop-by and stops hearing when its handle is closed; two phones
// with background sync exchange a visit through a relay process without calling sync(); a
// removed clinician's phone gets the typed Removed error; the roster, ownership transfer and
// leaving; fingerprints compared, a colleague's device recorded as verified (a mistyped one
// refused) and the flag on her new device nobody verified; a CSV import with progress and the
// exports.
import java.util.concurrent.CopyOnWriteArrayList
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.trellis.core.*

/** What a screen's listener heard, in order. Called on the store's event thread. */
class Heard : TrellisListener {
    val changes = CopyOnWriteArrayList<DataChanged>()
    val states = CopyOnWriteArrayList<SyncState>()
    override fun dataChanged(change: DataChanged) { changes.add(change) }
    override fun syncState(state: SyncState) { states.add(state) }
    fun kinds(): Set<ChangeKind> = changes.flatMap { it.kinds }.toSet()
}

/** Waits until [done] holds, failing after [seconds]. */
fun eventually(seconds: Int, what: String, done: () -> Boolean) {
    val until = System.nanoTime() + seconds * 1_000_000_000L
    while (!done()) {
        if (System.nanoTime() > until) throw AssertionError("timed out waiting for: $what")
        Thread.sleep(50)
    }
}

/** Dana's phone with a practice on [relay] and a school; Sam's phone joined; both synced. */
fun sharedPractice(relay: Relay, name: String): Pair<TrellisStore, TrellisStore> {
    val a = newStore("$name-dana")
    val b = newStore("$name-sam")
    a.init("Dana")
    runBlocking { a.createSharedWorkspace(name, relay.url, Relay.SIGNUP_SECRET) }
    a.addOrg(NewOrg("Lincoln Middle School", OrgKind.SCHOOL))
    val code = runBlocking { a.createInvite(Role.MEMBER, false) }
    runBlocking { a.sync() }
    b.init("Sam")
    join(a, b, code)
    runBlocking { a.sync() } // so Dana's phone knows Sam by name
    return a to b
}

/**
 * [joiner] joins with [code] and waits for its keys (no name yet; its sync is AwaitingKeys);
 * the inviter's device syncs and hands the practice's keys to the joiner's device (one device
 * let in); the joiner's syncs, takes them and pushes its introduction, and lists the practice
 * by name. Returns the practice as the joiner lists it then.
 */
fun join(inviter: TrellisStore, joiner: TrellisStore, code: String, relayOverride: String? = null): WorkspaceInfo {
    val waiting = runBlocking { joiner.join(code, relayOverride) }
    assertTrue(waiting.awaitingKeys, waiting.toString())
    assertEquals("", waiting.name)
    assertFailsWith<TrellisException.AwaitingKeys> { runBlocking { joiner.sync() } }
    assertEquals(1UL, runBlocking { inviter.sync() }.keysGranted)
    runBlocking { joiner.sync() }
    val joined = joiner.workspaces().single { it.id == waiting.id }
    assertFalse(joined.awaitingKeys, joined.toString())
    assertTrue(joined.current)
    assertEquals(inviter.workspaces().single { it.id == waiting.id }.name, joined.name)
    return joined
}

/** The devices of the member called [name] in [store]'s roster (fetched from the relay). */
fun devicesOf(store: TrellisStore, name: String): List<DeviceView> =
    runBlocking { store.roster() }.filter { it.name == name }.flatMap { it.devices }

fun listenerStories() {
    check("a screen's listener hears a drop-by and its thank-you, and nothing after close") {
        therapist("Dana").use { store ->
            store.addOrg(NewOrg("Lincoln Middle School", OrgKind.SCHOOL))
            val ws = store.workspaces().single { it.current }
            val heard = Heard()
            val handle = store.subscribe(heard)
            store.logDropBy(NewDropBy(organization = "Lincoln", minutes = 20u, note = "Front office"))
            eventually(5, "activities and follow-ups announced") {
                heard.kinds().containsAll(listOf(ChangeKind.ACTIVITIES, ChangeKind.FOLLOW_UPS))
            }
            assertTrue(heard.changes.all { it.workspaceId == ws.id }, heard.changes.toString())
            // The listener may call straight back into the store: the follow-up is there.
            assertEquals(1, store.followups(FollowUpFilter.OPEN).size)

            handle.close()
            Thread.sleep(200) // an event already in flight may still land
            heard.changes.clear()
            store.logDropBy(NewDropBy(organization = "Lincoln", minutes = 5u))
            Thread.sleep(500)
            assertEquals(emptyList(), heard.changes.toList())
            assertEquals(2, store.activities().size)
        }
    }
}

fun liveStories(relay: Relay) {
    check("background sync carries a drop-by between two phones without anyone calling sync") {
        val (a, b) = sharedPractice(relay, "Live Practice")
        try {
            val heardB = Heard()
            b.subscribe(heardB).use {
                val liveA = a.startLiveSync()
                val liveB = b.startLiveSync()
                assertTrue(liveA.isRunning() && liveB.isRunning())
                a.logDropBy(NewDropBy(organization = "Lincoln", minutes = 25u, note = "Met the nurse"))
                eventually(20, "the drop-by on Sam's phone") { b.activities().size == 1 }
                assertEquals("Met the nurse", b.activities()[0].note)
                assertEquals("Dana", b.activities()[0].loggedBy)
                eventually(5, "Sam's screen told about it") { ChangeKind.ACTIVITIES in heardB.kinds() }
                assertTrue(SyncState.Syncing in heardB.states, heardB.states.toString())
                eventually(5, "Sam's sync idle again") { heardB.states.any { it is SyncState.Idle } }
                liveA.close()
                liveB.close()
            }
        } finally {
            a.close()
            b.close()
        }
    }
}

fun membershipStories(relay: Relay) {
    check("the roster, a removal the removed phone learns as Removed, a transfer and leaving") {
        val (a, b) = sharedPractice(relay, "Roster Practice")
        val c = newStore("roster-alex")
        try {
            val roster = runBlocking { a.roster() }
            assertEquals(setOf("Dana", "Sam"), roster.map { it.name }.toSet())
            val dana = roster.single { it.name == "Dana" }
            assertEquals(Role.OWNER, dana.role)
            assertTrue(dana.devices.single().thisDevice)
            assertFalse(roster.single { it.name == "Sam" }.devices.single().thisDevice)

            // Sam may not remove anyone; Dana removes Sam, whose phone learns it at its next sync.
            assertFailsWith<TrellisException.NotAuthorized> { runBlocking { b.removeMember("Dana") } }
            runBlocking { a.removeMember("Sam") }
            val e = assertFailsWith<TrellisException.Removed> { runBlocking { b.sync() } }
            assertTrue(e.reason.isNotBlank())
            assertEquals(emptyList(), b.workspaces())
            assertTrue(runBlocking { a.roster() }.single { it.name == "Sam" }.removed)

            // Alex joins; Dana hands the practice over to Alex and leaves it.
            val code = runBlocking { a.createInvite(Role.ADMIN, false) }
            c.init("Alex")
            join(a, c, code)
            runBlocking { a.sync() }
            runBlocking { a.transferOwnership("Alex") }
            assertEquals(Role.ADMIN, a.workspaces().single().role)
            assertEquals(Role.OWNER, runBlocking { c.roster() }.single { it.name == "Alex" }.role)
            runBlocking { a.leave() }
            assertEquals(emptyList(), a.workspaces())
        } finally {
            listOf(a, b, c).forEach { it.close() }
        }
    }

    check("two phones compare fingerprints; one records the other as verified, a mistyped one is refused") {
        val (a, b) = sharedPractice(relay, "Fingerprint Practice")
        val tablet = newStore("fingerprint-sam-tablet")
        try {
            val danas = a.fingerprint()
            val sams = b.fingerprint()
            assertTrue(Regex("""\d{5} \d{5} \d{5} \d{5}""").matches(danas), danas)
            assertNotEquals(danas, sams)

            // Each phone's roster shows its own fingerprint as the phone shows it, and the other's.
            for ((store, me, colleague) in listOf(Triple(a, "Dana", "Sam"), Triple(b, "Sam", "Dana"))) {
                val mine = if (me == "Dana") danas else sams
                val theirs = if (me == "Dana") sams else danas
                val own = devicesOf(store, me).single()
                assertEquals(Triple(true, mine, false), Triple(own.thisDevice, own.fingerprint, own.verified))
                val other = devicesOf(store, colleague).single()
                assertEquals(Triple(false, theirs, false), Triple(other.thisDevice, other.fingerprint, other.verified))
            }

            // Dana mistypes one digit of what Sam's phone shows: Conflict, nothing recorded.
            val wrong = sams.dropLast(1) + ((sams.last() - '0' + 1) % 10)
            val refused = assertFailsWith<TrellisException.Conflict> { a.verifyMember("Sam", wrong) }
            assertTrue(refused.reason.contains("fingerprint"), refused.reason)
            assertFailsWith<TrellisException.InvalidInput> { a.verifyMember("Sam", "12345 67890") }
            assertEquals(listOf(false), devicesOf(a, "Sam").map { it.verified })

            // Typed right: Sam's device is verified on Dana's phone, and only there.
            val sam = a.verifyMember("Sam", sams)
            assertEquals("Sam", sam.name)
            assertEquals(listOf(true), sam.devices.map { it.verified })
            assertFalse(sam.unverifiedDevice)
            assertEquals(listOf(true), devicesOf(a, "Sam").map { it.verified })
            assertEquals(listOf(false), devicesOf(b, "Dana").map { it.verified })

            // Sam adds a tablet: on Dana's phone he is flagged, the new device not verified.
            tablet.init("Sam")
            join(b, tablet, runBlocking { b.createInvite(Role.MEMBER, true) })
            val flagged = runBlocking { a.roster() }.single { it.name == "Sam" }
            assertTrue(flagged.unverifiedDevice, flagged.toString())
            assertEquals(listOf(false, true), flagged.devices.map { it.verified }.sorted())
            assertEquals(tablet.fingerprint(), flagged.devices.single { !it.verified }.fingerprint)

            val status = a.status()
            assertNull(status.rosterProblem)
            assertEquals(0UL, status.rosterRefused)
            assertEquals(0UL, status.setAside)
        } finally {
            listOf(a, b, tablet).forEach { it.close() }
        }
    }
}

/** Records import progress. */
class Progress : ImportProgress {
    val seen = CopyOnWriteArrayList<Pair<ULong, ULong>>()
    override fun progress(done: ULong, total: ULong) { seen.add(done to total) }
}

fun interopStories() {
    check("a spreadsheet of contacts is imported once, with progress, and exported again") {
        therapist("Dana").use { store ->
            val csv = "name,organization,category,emails\n" +
                "Priya Shah,Lincoln Middle School,school-counselor,priya@lincoln.example\n" +
                "Dr. Okafor,Elm Pediatrics,pediatrician,okafor@elm.example\n" +
                "No Email,,,not-an-email\n"
            val progress = Progress()
            val report = store.importCsv(csv, progress)
            assertEquals(2UL, report.added, report.toString())
            assertEquals(1, report.skipped.size, report.toString())
            assertEquals(4UL, report.skipped[0].lineOrCard)
            assertEquals(3UL to 3UL, progress.seen.last())
            assertEquals(0UL, store.importCsv(csv).added) // the second time adds nothing
            assertTrue(store.exportVcard().contains("FN:Priya Shah"))
            assertTrue(store.exportCsv().lines().any { it.startsWith("Priya Shah,") })
            assertTrue(store.exportIcs().startsWith("BEGIN:VCALENDAR"))
            val bad = assertFailsWith<TrellisException.InvalidInput> { store.importVcard("hello") }
            assertNotNull(bad.reason)
        }
    }
}

// Stories of use of the generated Kotlin bindings on the desktop JVM: what a therapist's
// phone app does, through the same API the Android app uses. Plain main() with kotlin.test
// assertions; suspend functions run under runBlocking. Prints "kotlin: N passed, M failed"
// last and exits non-zero if anything failed.
import java.io.File
import java.net.ServerSocket
import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import java.net.InetSocketAddress
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import com.sun.net.httpserver.HttpServer
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import org.trellis.core.*

var passed = 0
var failed = 0

fun check(name: String, body: () -> Unit) {
    try {
        body()
        passed++
        println("ok   $name")
    } catch (t: Throwable) {
        failed++
        println("FAIL $name: $t")
        t.printStackTrace(System.out)
    }
}

val scratch: File = Files.createTempDirectory("trellis-kt").toFile()

/** A fresh store on its own data directory, as a new phone would have. */
fun newStore(label: String): TrellisStore =
    TrellisStore.open(File(Files.createTempDirectory(scratch.toPath(), label).toFile(), "trellis.sqlite3").path)

/** A device set up for [user] with a local workspace. */
fun therapist(user: String): TrellisStore {
    val store = newStore(user)
    store.init(user)
    store.createWorkspace("Maple Street Counseling")
    return store
}

fun main() {
    try {
        localStories()
        practiceStories()
        listenerStories()
        interopStories()
        profileLocalStories()
        syncStories()
    } catch (t: Throwable) { // e.g. UnsatisfiedLinkError when the .so is not found
        failed++
        println("FAIL setup: $t")
        t.printStackTrace(System.out)
    }
    scratch.deleteRecursively()
    println("kotlin: $passed passed, $failed failed")
    kotlin.system.exitProcess(if (failed == 0) 0 else 1)
}

fun localStories() {
    check("the privacy hint is the core's sentence about client details") {
        assertTrue(notePrivacyHint().contains("client names"), notePrivacyHint())
    }

    check("a new phone must be set up before it records anything") {
        newStore("fresh").use { store ->
            val e = assertFailsWith<TrellisException.NotInitialized> { store.device() }
            assertTrue(e.reason.contains("not set up"), e.reason)
            val dana = store.init("Dana")
            assertEquals("Dana", store.device().name)
            assertEquals(dana, store.device())
            assertFailsWith<TrellisException.Conflict> { store.init("Dana again") }
            assertFailsWith<TrellisException.NoWorkspace> { store.contacts() }
            val ws = store.createWorkspace("Maple Street Counseling")
            assertEquals(Role.OWNER, ws.role)
            assertTrue(ws.current)
            assertNull(ws.relayUrl)
            assertEquals(listOf(ws), store.workspaces())
        }
    }

    check("a therapist logs a drop-by at a school and finds it again") {
        therapist("Dana").use { store ->
            val school = store.addOrg(NewOrg("Lincoln Middle School", OrgKind.SCHOOL, address = "1200 Lincoln Ave"))
            assertEquals(OrgKind.SCHOOL, school.kind)
            assertEquals("1200 Lincoln Ave", school.address)
            val counselor = store.addContact(
                NewContact(
                    name = "Maria Rivera",
                    organization = "Lincoln",
                    category = ContactCategory.SCHOOL_COUNSELOR,
                    emails = listOf("mrivera@lincoln.example"),
                )
            )
            assertEquals(school.id, counselor.organizationId)
            assertEquals("Lincoln Middle School", counselor.organization)
            assertEquals(listOf("mrivera@lincoln.example"), counselor.emails)

            val left = listOf(LeftBehind("brochures", 10u), LeftBehind("succulent", 1u))
            val logged = store.logDropBy(
                NewDropBy(
                    organization = "Lincoln",
                    contacts = listOf("Maria"),
                    minutes = 20u,
                    note = "Counselors asked for flyers about the teen anxiety group",
                    leftBehind = left,
                )
            )
            val activities = store.activities()
            assertEquals(1, activities.size)
            val visit = activities[0]
            assertEquals(logged, visit)
            assertEquals(ActivityKind.DROP_BY, visit.kind)
            assertEquals("Lincoln Middle School", visit.organization)
            assertEquals(listOf("Maria Rivera"), visit.contacts)
            assertEquals(listOf(counselor.id), visit.contactIds)
            assertEquals(20u, visit.minutes)
            assertEquals(left, visit.leftBehind)
            assertEquals("Dana", visit.loggedBy)

            val hits = store.search("anxiety")
            assertTrue(hits.any { it.kind == "activity" && it.id == logged.id }, hits.toString())
            assertTrue(store.search("rivera").any { it.kind == "contact" && it.id == counselor.id })

            val note = store.appendNote("Maria", "Prefers email; the office is busy on Mondays")
            val detail = store.contact("Maria Rivera")
            assertEquals(counselor.id, detail.contact.id)
            assertEquals(listOf(note), detail.notes)
            assertEquals("Dana", detail.notes[0].author)
            assertEquals(visit.at, store.contacts().single().lastTouchAt)

            val status = store.status()
            assertEquals("Maple Street Counseling", status.workspace)
            assertNull(status.relayUrl)
            assertTrue(status.pendingChanges > 0UL, "local changes wait in the outbox: $status")
            // Nothing pulled, no roster fetched: nothing set aside, no roster problem.
            assertEquals(0UL, status.setAside)
            assertNull(status.rosterProblem)
            assertEquals(0UL, status.rosterRefused)
        }
    }

    check("an unknown organization raises NotFound with the close matches, and records nothing") {
        therapist("Dana").use { store ->
            store.addOrg(NewOrg("Lincoln Middle School", OrgKind.SCHOOL))
            val e = assertFailsWith<TrellisException.NotFound> {
                store.logDropBy(NewDropBy(organization = "Oak Middle School", minutes = 15u))
            }
            assertTrue(e.reason.contains("Oak Middle School"), e.reason)
            assertTrue(e.reason.contains("Lincoln Middle School"), e.reason)
            assertTrue(e.candidates.single().startsWith("Lincoln Middle School ("), e.candidates.toString())
            assertEquals(emptyList(), store.activities())
        }
    }

    check("bad input is refused with InvalidInput, and an ambiguous name with Ambiguous") {
        therapist("Dana").use { store ->
            val e = assertFailsWith<TrellisException.InvalidInput> {
                store.addContact(NewContact(name = "Sam Lee", emails = listOf("not-an-address")))
            }
            assertTrue(e.reason.contains("not-an-address"), e.reason)
            assertFailsWith<TrellisException.InvalidInput> { store.logDropBy(NewDropBy(minutes = 2000u)) }
            assertFailsWith<TrellisException.InvalidInput> { store.logDropBy(NewDropBy(minutes = 5u, at = "yesterday")) }
            store.addContact(NewContact(name = "Sam Lee"))
            store.addContact(NewContact(name = "Sam Ortiz"))
            val amb = assertFailsWith<TrellisException.Ambiguous> { store.appendNote("Sam", "hello") }
            assertEquals(2, amb.candidates.size, amb.candidates.toString())
            // A contact corrected after she was added; a bad correction changes nothing.
            val lee = store.updateContact("Sam Lee", ContactChanges(role = "School psychologist", phones = listOf("555-0100")))
            assertEquals("School psychologist", lee.role)
            assertEquals(listOf("555-0100"), lee.phones)
            assertFailsWith<TrellisException.InvalidInput> {
                store.updateContact("Sam Lee", ContactChanges(name = "Sam Li", emails = listOf("no-at-sign")))
            }
            assertEquals("Sam Lee", store.contact("Sam Lee").contact.name)
            assertEquals(emptyList(), store.activities())
        }
    }

    check("closing releases the store; what was recorded is there when it is opened again") {
        val dir = Files.createTempDirectory(scratch.toPath(), "reopen").toFile()
        val path = File(dir, "trellis.sqlite3").path
        val store = TrellisStore.open(path)
        store.init("Dana")
        store.createWorkspace("Maple Street Counseling")
        store.addOrg(NewOrg("St. Mark's Church", OrgKind.PLACE_OF_WORSHIP))
        store.close()
        // Kotlin's close() is the generated AutoCloseable one: it frees the Rust object at once.
        assertFailsWith<IllegalStateException> { store.organizations() }
        TrellisStore.open(path).use { again ->
            assertEquals(listOf("St. Mark's Church"), again.organizations().map { it.name })
            assertEquals("Dana", again.device().name)
        }
    }
}

fun syncStories() {
    check("a relay that cannot be reached gives Network; the practice waits on the phone, once") {
        val port = ServerSocket(0).use { it.localPort } // free now, nobody listening
        newStore("offline").use { store ->
            store.init("Dana")
            repeat(2) {
                val e = assertFailsWith<TrellisException.Network> {
                    runBlocking { store.createSharedWorkspace("Maple", "http://127.0.0.1:$port", "secret") }
                }
                assertTrue(e.reason.contains("relay"), e.reason)
                assertTrue(e.reason.contains("workspace connect"), e.reason)
            }
            // Tried twice: one practice, kept on the phone and not connected yet.
            val kept = store.workspaces()
            assertEquals(listOf("Maple"), kept.map { it.name })
            assertEquals(null, kept[0].relayUrl)
        }
    }

    val relay = try {
        Relay.start()
    } catch (t: Throwable) {
        check("start the relay") { throw t }
        return
    }
    relay.use {
        check("a wrong signup secret is NotAuthorized") {
            newStore("intruder").use { store ->
                store.init("Mallory")
                assertFailsWith<TrellisException.NotAuthorized> {
                    runBlocking { store.createSharedWorkspace("Not a practice", relay.url, "wrong-secret") }
                }
                assertEquals(emptyList(), store.workspaces())
            }
        }

        check("two clinicians share a practice: a drop-by on one phone reaches the other") {
            val a = newStore("dana-phone")
            val b = newStore("sam-phone")
            try {
                a.init("Dana")
                val ws = runBlocking {
                    a.createSharedWorkspace("Maple Street Counseling", relay.url, Relay.SIGNUP_SECRET)
                }
                assertEquals(relay.url, ws.relayUrl)
                assertEquals(Role.OWNER, ws.role)
                a.addOrg(NewOrg("Lincoln Middle School", OrgKind.SCHOOL))
                val code = runBlocking { a.createInvite(Role.MEMBER, false) }
                assertTrue(code.isNotBlank())

                b.init("Sam")
                // The code holds no key: Sam's phone is admitted and waits for one of the
                // practice's devices to let it in. Until then nothing of the practice opens.
                val joined = runBlocking { b.join(code) }
                assertEquals(ws.id, joined.id)
                assertEquals(Role.MEMBER, joined.role)
                assertTrue(joined.awaitingKeys)
                assertEquals("", joined.name)
                assertEquals(listOf(joined), b.workspaces())
                assertFailsWith<TrellisException.AwaitingKeys> { runBlocking { b.sync() } }
                assertFailsWith<TrellisException.AwaitingKeys> { b.activities() }

                // Dana's next sync hands the practice's keys to Sam's phone and pushes the
                // visit; Sam's next takes the keys and pulls it.
                val visit = a.logDropBy(
                    NewDropBy(
                        organization = "Lincoln",
                        minutes = 30u,
                        note = "Met the new principal",
                        leftBehind = listOf(LeftBehind("cards", 5u)),
                    )
                )
                val pushed = runBlocking { a.sync() }
                assertEquals(1UL, pushed.keysGranted, pushed.toString())
                assertTrue(pushed.pushed > 0UL, pushed.toString())
                assertEquals(0UL, a.status().pendingChanges)
                val pulled = runBlocking { b.sync() }
                assertTrue(pulled.pulled > 0UL, pulled.toString())
                assertEquals(0UL, pulled.keysGranted)
                assertEquals(pushed.cursor, a.status().cursor)
                val practice = b.workspaces().single()
                assertEquals("Maple Street Counseling", practice.name)
                assertFalse(practice.awaitingKeys)
                assertEquals(0UL, runBlocking { a.sync() }.keysGranted) // once is enough

                val seen = b.activities()
                assertEquals(1, seen.size, seen.toString())
                assertEquals(visit.id, seen[0].id)
                assertEquals("Lincoln Middle School", seen[0].organization)
                assertEquals("Met the new principal", seen[0].note)
                assertEquals(listOf(LeftBehind("cards", 5u)), seen[0].leftBehind)
                assertEquals("Dana", seen[0].loggedBy)
                assertNotNull(b.status().lastSyncAt)

                // And back: Sam's visit reaches Dana.
                b.logDropBy(NewDropBy(organization = "Lincoln", minutes = 10u))
                runBlocking { b.sync() }
                runBlocking { a.sync() }
                assertEquals(setOf("Dana", "Sam"), a.activities().map { it.loggedBy }.toSet())
            } finally {
                a.close()
                b.close()
            }
        }

        check("an invite works once; an open one is listed and cancelled, and its code lets nobody in") {
            val a = newStore("owner")
            val b = newStore("first")
            val c = newStore("second")
            try {
                a.init("Dana")
                runBlocking { a.createSharedWorkspace("Elm Therapy", relay.url, Relay.SIGNUP_SECRET) }
                val code = runBlocking { a.createInvite(Role.MEMBER, false) }
                b.init("Sam")
                join(a, b, code)
                c.init("Alex")
                val e = assertFailsWith<TrellisException.Relay> { runBlocking { c.join(code) } }
                assertEquals(410.toUShort(), e.status, e.reason)
                assertEquals("gone", e.code)
                assertEquals(emptyList(), c.workspaces())
                assertEquals(listOf("Elm Therapy"), b.workspaces().map { it.name })

                // Dana invites an admin; the code goes astray. She finds it among the open
                // invites (Sam's, used, is not there) and cancels it by an id prefix.
                assertEquals(emptyList(), runBlocking { a.invites() })
                val astray = runBlocking { a.createInvite(Role.ADMIN, false) }
                val open = runBlocking { a.invites() }.single()
                assertEquals(Role.ADMIN, open.role)
                assertFalse(open.device)
                assertTrue(open.madeHere)
                assertEquals("Dana", open.invitedBy)
                assertTrue(Regex("[0-9a-f]{32}").matches(open.inviteId), open.inviteId)
                // Good for 72 hours.
                val expires = java.time.OffsetDateTime.parse(open.expiresAt).toInstant()
                assertTrue(expires.isAfter(java.time.Instant.now().plusSeconds(71 * 3600)), open.expiresAt)
                // Sam's phone sees it too, and may not cancel what Dana made.
                assertEquals(listOf(open.inviteId), runBlocking { b.invites() }.map { it.inviteId })
                assertFalse(runBlocking { b.invites() }.single().madeHere)
                assertFailsWith<TrellisException> { runBlocking { b.cancelInvite(open.inviteId) } }
                assertEquals(open, runBlocking { a.cancelInvite(open.inviteId.take(8)) })
                assertEquals(emptyList(), runBlocking { a.invites() })
                assertFailsWith<TrellisException.NotFound> { runBlocking { a.cancelInvite(open.inviteId) } }
                val refused = assertFailsWith<TrellisException.Relay> { runBlocking { c.join(astray) } }
                assertEquals(410.toUShort(), refused.status, refused.reason)
                assertEquals(emptyList(), c.workspaces())
                assertEquals(2, runBlocking { a.roster() }.size) // Dana and Sam: nobody else got in
            } finally {
                listOf(a, b, c).forEach { it.close() }
            }
        }

        check("a join cancelled half-way is tried again with the same code and joins once") {
            val a = newStore("dana-cancel")
            val b = newStore("sam-cancel")
            try {
                a.init("Dana")
                runBlocking { a.createSharedWorkspace("Maple Street Counseling", relay.url, Relay.SIGNUP_SECRET) }
                a.addOrg(NewOrg("Lincoln Middle School", OrgKind.SCHOOL))
                runBlocking { a.sync() }
                val code = runBlocking { a.createInvite(Role.MEMBER, false) }
                HoldingGateway(relay.url, "/invites/redeem").use { gate ->
                    b.init("Sam")
                    // Sam taps "Join", then leaves the screen while the answer is on its way:
                    // the app cancels the call after the relay has redeemed the invite.
                    runBlocking {
                        val joining = launch(Dispatchers.IO) { b.join(code, gate.url) }
                        val held = withContext(Dispatchers.IO) { gate.held.await(30, TimeUnit.SECONDS) }
                        assertTrue(held, "the relay redeemed the invite before the join was cancelled")
                        joining.cancelAndJoin()
                    }
                    gate.release()
                    assertEquals(emptyList(), b.workspaces())
                    // The same code again: the invite was not burnt, and Sam joins once.
                    val joined = join(a, b, code, gate.url)
                    assertEquals(Role.MEMBER, joined.role)
                    assertEquals("Maple Street Counseling", joined.name)
                    assertEquals(listOf("Lincoln Middle School"), b.organizations().map { it.name })
                    runBlocking { a.sync() }
                    val sams = runBlocking { a.roster() }.filter { it.name == "Sam" }
                    assertEquals(1, sams.size, sams.toString())
                    assertEquals(1, sams[0].devices.size, sams.toString())
                }
            } finally {
                a.close()
                b.close()
            }
        }

        practiceSyncStories(relay)
        liveStories(relay)
        membershipStories(relay)
        profileStories(relay)
        exchangeStories(relay)
    }
}

/**
 * A gateway between a phone and the relay that forwards every request, except that it holds
 * back the relay's answer to the first request whose path contains [holdPath] (after the relay
 * acted on it: [held] opens) until [release], so the phone can give up waiting half-way.
 */
class HoldingGateway(private val relayUrl: String, private val holdPath: String) : AutoCloseable {
    val held = CountDownLatch(1)
    private val released = CountDownLatch(1)
    private val client = HttpClient.newHttpClient()
    private val skipped = setOf("host", "content-length", "connection", "upgrade", "expect", "transfer-encoding")
    private val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0).apply {
        executor = Executors.newCachedThreadPool()
        createContext("/") { ex ->
            try {
                val body = ex.requestBody.readAllBytes()
                val publisher = if (body.isEmpty()) HttpRequest.BodyPublishers.noBody()
                else HttpRequest.BodyPublishers.ofByteArray(body)
                val request = HttpRequest.newBuilder(URI.create(relayUrl + ex.requestURI.toString()))
                    .method(ex.requestMethod, publisher)
                ex.requestHeaders.forEach { (name, values) ->
                    if (name.lowercase() !in skipped) values.forEach { request.header(name, it) }
                }
                val answer = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray())
                if (ex.requestURI.path.contains(holdPath) && held.count > 0) {
                    held.countDown()
                    released.await(30, TimeUnit.SECONDS)
                }
                answer.headers().map().forEach { (name, values) ->
                    if (name.lowercase() !in skipped && !name.startsWith(":")) {
                        values.forEach { ex.responseHeaders.add(name, it) }
                    }
                }
                val bytes = answer.body()
                ex.sendResponseHeaders(answer.statusCode(), if (bytes.isEmpty()) -1 else bytes.size.toLong())
                ex.responseBody.use { it.write(bytes) }
            } catch (e: java.io.IOException) {
                // The phone gave up: nobody is left to answer.
            } finally {
                ex.close()
            }
        }
        start()
    }
    val url: String get() = "http://127.0.0.1:${server.address.port}"
    fun release() = released.countDown()
    override fun close() {
        released.countDown()
        server.stop(0)
    }
}

// A practice's work with its referral sources through the generated Kotlin bindings:
// follow-ups, leave-behind stock, referrals and stages, pitches, nearby, talks and memberships,
// cadence and losing touch, archive and delete, the reports, and stock used on two phones
// offline then synced.
// Uses check(), newStore() and therapist() from TrellisBindingsTest.kt.
import java.time.Duration
import java.time.Instant
import java.time.LocalDate
import java.time.YearMonth
import java.time.ZoneId
import java.time.ZoneOffset
import java.time.format.DateTimeFormatter
import java.time.temporal.ChronoUnit
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.trellis.core.*

private val UTC_SECONDS: DateTimeFormatter =
    DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC)

/** UTC at second precision, as the core writes times. */
private fun rfc3339(t: Instant): String = UTC_SECONDS.format(t)

private fun hoursAgo(h: Long): Instant = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofHours(h))

private const val LINCOLN_LAT = 45.5152
private const val LINCOLN_LON = -122.6784

private fun aSchoolAndItsCounselor(store: TrellisStore): Pair<Organization, Contact> {
    val school = store.addOrg(
        NewOrg(
            "Lincoln Middle School", OrgKind.SCHOOL, address = "1200 Lincoln Ave",
            phone = "503-555-0100", website = "https://lincoln.example",
        )
    )
    val counselor = store.addContact(
        NewContact(
            name = "Maria Rivera", organization = "Lincoln", role = "Lead counselor",
            category = ContactCategory.SCHOOL_COUNSELOR, phones = listOf("503-555-0101"),
            emails = listOf("mrivera@lincoln.example"), howWeHelp = "Teen anxiety group",
            tags = listOf("teens"),
        )
    )
    return school to counselor
}

fun practiceStories() {
    check("a drop-by calls for a thank-you 48 hours later, and it can be completed") {
        therapist("Dana").use { store ->
            val (school, counselor) = aSchoolAndItsCounselor(store)
            assertEquals("503-555-0100", school.phone)
            assertEquals(false, school.archived)
            assertNull(school.lat)
            assertEquals(Stage.PROSPECT, counselor.stage)
            assertEquals(30u, counselor.cadenceDays) // a school counselor's default
            assertEquals(listOf("teens"), counselor.tags)
            assertEquals("Lead counselor", counselor.role)
            assertEquals(Settings(240u, 2u, 48u), store.settings())

            val at = hoursAgo(30)
            val visit = store.logDropBy(
                NewDropBy(organization = "Lincoln", contacts = listOf("Maria"), minutes = 20u, at = rfc3339(at))
            )
            val thanks = store.followups(FollowUpFilter.OPEN).single()
            assertEquals(FollowUpKind.THANK_YOU, thanks.kind)
            assertEquals(rfc3339(at.plus(Duration.ofHours(48))), thanks.dueAt)
            assertEquals(counselor.id, thanks.contactId)
            assertEquals("Lincoln Middle School", thanks.organization)
            assertEquals(visit.id, thanks.activityId)
            assertEquals("Dana", thanks.assignedTo)
            assertNull(thanks.doneAt)
            assertEquals(false, thanks.overdue)
            assertEquals(listOf(thanks), store.followups(FollowUpFilter.DUE)) // due in 18 hours
            assertEquals(emptyList(), store.followups(FollowUpFilter.OVERDUE))
            val detail = store.contact("Maria")
            assertEquals(listOf(thanks), detail.followups)
            assertEquals(1L, detail.daysSinceTouch)

            val done = store.completeFollowup(thanks.id.take(8))
            assertEquals(thanks.id, done.id)
            assertNotNull(done.doneAt)
            assertEquals(emptyList(), store.followups(FollowUpFilter.OPEN))
            assertEquals(listOf(done), store.followups(FollowUpFilter.ALL))
            assertEquals(emptyList(), store.contact("Maria").followups)
        }
    }

    check("brochures restocked, then left on a drop-by, come out of stock") {
        therapist("Dana").use { store ->
            store.addOrg(NewOrg("Lincoln Middle School", OrgKind.SCHOOL))
            assertEquals(StockItem("brochures", "Brochures", 20L, 5L, false), store.restock("Brochures", 20u))
            store.logDropBy(
                NewDropBy(
                    organization = "Lincoln", minutes = 15u,
                    leftBehind = listOf(LeftBehind("brochures", 3u), LeftBehind("succulent", 1u)),
                )
            )
            val brochures = store.stock().single() // the succulent is not in the catalog
            assertEquals(17L, brochures.stock)
            assertEquals(
                listOf(StockUse("Brochures", 17L, false, 3u), StockUse("succulent", 0L, false, 1u)),
                store.stockReport(),
            )
            assertTrue(store.setLowStock("brochures", 20u).low)
            assertFailsWith<TrellisException.NotFound> { store.setLowStock("tea sachets", 3u) }
            assertFailsWith<TrellisException.InvalidInput> { store.restock("Brochures", 0u) }
        }
    }

    check("a first referral moves the contact to referring, and the reports count it") {
        therapist("Dana").use { store ->
            aSchoolAndItsCounselor(store)
            store.addOrg(NewOrg("Oak Family Clinic", OrgKind.CLINIC))
            val received = store.addReferral(
                NewReferral(
                    ReferralDirection.RECEIVED, "Maria", "Adolescent anxiety",
                    channel = ReferralChannel.PHONE,
                )
            )
            assertEquals(LocalDate.now().toString(), received.day)
            assertEquals("Maria Rivera", received.contact)
            assertEquals("Lincoln Middle School", received.organization)
            assertEquals(ReferralStatus.INQUIRY, received.status)
            assertEquals(ReferralChannel.PHONE, received.channel)
            assertEquals(Stage.REFERRING, store.contact("Maria").contact.stage)

            val sent = store.addReferral(
                NewReferral(
                    ReferralDirection.SENT, "Oak Family", "couples",
                    status = ReferralStatus.SCHEDULED, on = "2026-01-05",
                )
            )
            assertEquals("Oak Family Clinic", sent.organization)
            assertNull(sent.contact)
            assertFailsWith<TrellisException.NotFound> {
                store.addReferral(NewReferral(ReferralDirection.RECEIVED, "Nobody Known", "grief"))
            }
            assertEquals(setOf(received.id, sent.id), store.referrals().map { it.id }.toSet())
            assertEquals(listOf(sent), store.referrals(toDay = "2026-01-31"))
            assertEquals(listOf("Adolescent anxiety", "couples"), store.referralReasons())

            val report = store.referralReport()
            assertEquals(1u, report.received)
            assertEquals(1u, report.sent)
            assertEquals(listOf(Count("Maria Rivera", 1u)), report.bySource)
            assertEquals(listOf(Count("school-counselor", 1u)), report.byCategory)
            assertEquals(listOf(Count("Adolescent anxiety", 1u)), report.byReason)
            assertEquals(
                listOf(Reciprocity("Maria Rivera", 1u, 0u), Reciprocity("Oak Family Clinic", 0u, 1u)),
                store.reciprocityReport(),
            )
        }
    }

    check("a pitch for the contact's category shows with the contact") {
        therapist("Dana").use { store ->
            aSchoolAndItsCounselor(store)
            assertNull(store.contact("Maria").pitch)
            val pitch = "I run a teen anxiety group on Tuesdays and can see students within a week."
            assertEquals(pitch, store.setPitch(ContactCategory.SCHOOL_COUNSELOR, pitch))
            assertEquals(pitch, store.contact("Maria").pitch)
            assertEquals(pitch, store.pitch(ContactCategory.SCHOOL_COUNSELOR))
            assertNull(store.pitch(ContactCategory.PEDIATRICIAN))
            assertNull(store.setPitch(ContactCategory.SCHOOL_COUNSELOR, ""))
            assertNull(store.contact("Maria").pitch)
        }
    }

    check("organizations with a location are found nearby, nearest first") {
        therapist("Dana").use { store ->
            aSchoolAndItsCounselor(store)
            val located = store.setOrgLocation("Lincoln", LINCOLN_LAT, LINCOLN_LON)
            assertEquals(LINCOLN_LAT, located.lat)
            assertEquals(LINCOLN_LON, located.lon)
            store.addOrg(
                NewOrg("Oak Family Clinic", OrgKind.CLINIC, location = GeoPoint(LINCOLN_LAT + 0.015, LINCOLN_LON))
            )
            store.addOrg(NewOrg("Nowhere Yet")) // no location, kind Other
            store.logDropBy(NewDropBy(organization = "Lincoln", minutes = 10u, at = rfc3339(hoursAgo(73))))

            val near = store.nearby(LINCOLN_LAT, LINCOLN_LON) // within 10 km unless told
            assertEquals(listOf("Lincoln Middle School", "Oak Family Clinic"), near.map { it.organization.name })
            assertEquals(0.0, near[0].distanceKm)
            assertEquals(3L, near[0].daysSinceVisit)
            assertTrue(near[1].distanceKm in 1.5..1.8, near[1].toString())
            assertNull(near[1].daysSinceVisit)
            assertEquals(
                listOf("Lincoln Middle School"),
                store.nearby(LINCOLN_LAT, LINCOLN_LON, withinKm = 1.0).map { it.organization.name },
            )
            assertEquals(emptyList(), store.nearby(47.6062, -122.3321, 10.0)) // Seattle
            assertFailsWith<TrellisException.InvalidInput> { store.setOrgLocation("Lincoln", 91.0, 0.0) }
        }
    }

    check("a talk at the Rotary counts toward the week, and the membership is kept") {
        therapist("Dana").use { store ->
            val ws = store.workspaces().single()
            aSchoolAndItsCounselor(store)
            store.addOrg(NewOrg("Rotary Club of Portland", OrgKind.COMMUNITY_ORG))
            val at = hoursAgo(2)
            store.logDropBy(NewDropBy(organization = "Lincoln", contacts = listOf("Maria"), minutes = 20u, at = rfc3339(at)))
            val talk = store.logActivity(
                NewActivity(
                    kind = ActivityKind.TALK, organization = "Rotary", minutes = 45u,
                    audience = "Rotary lunch", attendance = 35u, at = rfc3339(at),
                )
            )
            assertEquals(ActivityKind.TALK, talk.kind)
            assertEquals("Rotary lunch", talk.audience)
            assertEquals(35u, talk.attendance)
            assertEquals(1, store.followups(FollowUpFilter.ALL).size) // a talk calls for no thank-you

            val day = LocalDate.ofInstant(at, ZoneId.systemDefault()).toString() // the device's day
            val week = store.timeReport(fromDay = day, toDay = day)
            assertEquals(240u, week.goalMinutes)
            val only = week.weeks.single()
            assertEquals(65u, only.minutes)
            assertEquals(2u, only.activities)
            assertEquals(false, only.goalMet)
            assertEquals(listOf(Count("talk", 45u), Count("drop-by", 20u)), week.byKind)
            assertEquals(Settings(60u, 2u, 48u), store.setGoals(minutesPerWeek = 60u))
            assertTrue(store.timeReport(fromDay = day, toDay = day).weeks.single().goalMet)

            val month = YearMonth.from(at.atZone(ZoneId.systemDefault())).toString()
            val connections = store.connectionsReport(month)
            assertEquals(listOf("Maria Rivera"), connections.connections.map { it.name })
            assertEquals(2u, connections.goal)
            assertEquals(false, connections.goalMet)

            val membership = store.addMembership("Rotary", "board member", "2027-01-31")
            assertEquals("Rotary Club of Portland", membership.organization)
            assertEquals("Dana", membership.member)
            assertEquals("2027-01-31", membership.renews)
            assertEquals(listOf(membership), store.memberships())
            assertEquals(listOf(Member(ws.memberId, "Dana")), store.members())
        }
    }

    check("cadence and losing touch, stages, follow-ups by hand, archive and delete") {
        therapist("Dana").use { store ->
            val sam = store.addContact(NewContact(name = "Sam Ortiz", category = ContactCategory.THERAPIST))
            assertEquals(45u, sam.cadenceDays)
            store.logActivity(
                NewActivity(
                    kind = ActivityKind.CALL, contacts = listOf("Sam"), minutes = 15u,
                    at = rfc3339(hoursAgo(50 * 24 + 1)),
                )
            )
            val losing = store.losingTouch().single()
            assertEquals(sam.id, losing.contact.id)
            assertEquals(50L, losing.daysSinceTouch)
            assertEquals(5L, losing.daysOverdue)
            assertEquals(60u, store.setCadence("Sam", 60u).cadenceDays)
            assertEquals(emptyList(), store.losingTouch())
            assertFailsWith<TrellisException.InvalidInput> { store.setCadence("Sam", 0u) }
            assertEquals(Stage.CONNECTED, store.setStage("Sam", Stage.CONNECTED).stage)

            val f = store.addFollowup(
                NewFollowUp(
                    kind = FollowUpKind.SEND_RESOURCE, contact = "Sam", due = "2030-01-15",
                    note = "Send the grief group flyer",
                )
            )
            assertEquals(FollowUpKind.SEND_RESOURCE, f.kind)
            assertEquals("Sam Ortiz", f.contact)
            assertTrue(f.dueAt.startsWith("2030-01-1"), f.dueAt) // 9:00 that morning, device's zone
            assertEquals("2030-02-01T17:00:00Z", store.snoozeFollowup(f.id, "2030-02-01T17:00:00Z").dueAt)
            assertEquals("Dana", store.reassignFollowup(f.id, "Dana").assignedTo)
            assertFailsWith<TrellisException.NotFound> { store.reassignFollowup(f.id, "Nobody") }
            assertFailsWith<TrellisException.InvalidInput> { store.completeFollowup("zz") }

            assertTrue(store.archiveContact("Sam", true).archived)
            assertEquals(emptyList(), store.contacts())
            assertEquals(false, store.archiveContact("Sam", false).archived)
            assertEquals(listOf("Sam Ortiz"), store.contacts().map { it.name })
            assertEquals(sam.id, store.deleteContact("Sam").id)
            assertEquals(emptyList(), store.contacts())
            assertFailsWith<TrellisException.NotFound> { store.contact("Sam") }

            store.addOrg(NewOrg("Oak Family Clinic", OrgKind.CLINIC))
            assertTrue(store.archiveOrg("Oak", true).archived)
            assertEquals(emptyList(), store.organizations())
            store.archiveOrg("Oak", false)
            assertEquals("Oak Family Clinic", store.deleteOrg("Oak").name)
            assertEquals(emptyList(), store.organizations())
        }
    }
}

fun practiceSyncStories(relay: Relay) {
    check("two phones use the same brochures offline; after sync both count the sum") {
        val a = newStore("dana-phone")
        val b = newStore("sam-phone")
        try {
            a.init("Dana")
            runBlocking { a.createSharedWorkspace("Maple Street Counseling", relay.url, Relay.SIGNUP_SECRET) }
            a.addOrg(NewOrg("Lincoln Middle School", OrgKind.SCHOOL))
            a.restock("Brochures", 20u)
            val code = runBlocking { a.createInvite(Role.MEMBER, false) }
            b.init("Sam")
            join(a, b, code)
            assertEquals(listOf("brochures" to 20L), b.stock().map { it.item to it.stock })

            // Offline on both phones: Dana leaves 3; Sam restocks 10 and leaves 5.
            a.logDropBy(NewDropBy(organization = "Lincoln", minutes = 15u, leftBehind = listOf(LeftBehind("brochures", 3u))))
            b.restock("brochures", 10u)
            b.logDropBy(NewDropBy(organization = "Lincoln", minutes = 10u, leftBehind = listOf(LeftBehind("Brochures", 5u))))
            assertEquals(listOf(17L), a.stock().map { it.stock })
            assertEquals(listOf(25L), b.stock().map { it.stock })

            runBlocking { a.sync() }
            runBlocking { b.sync() }
            runBlocking { a.sync() }
            for (phone in listOf(a, b)) {
                val brochures = phone.stock().single()
                assertEquals("Brochures", brochures.name)
                assertEquals(20L - 3 + 10 - 5, brochures.stock)
                assertEquals(listOf(StockUse("Brochures", 22L, false, 8u)), phone.stockReport())
                assertEquals(2, phone.followups(FollowUpFilter.OPEN).size) // one thank-you per visit
            }
        } finally {
            a.close()
            b.close()
        }
    }
}

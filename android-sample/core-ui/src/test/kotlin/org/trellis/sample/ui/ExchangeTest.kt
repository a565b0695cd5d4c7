package org.trellis.sample.ui

import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.Test
import org.trellis.core.AgeBand
import org.trellis.core.CardUpdate
import org.trellis.core.Fit
import org.trellis.core.Need
import org.trellis.core.Openings
import org.trellis.core.Outcome
import org.trellis.core.Panel
import org.trellis.core.Payer
import org.trellis.core.ReferralDirection
import org.trellis.core.Role
import org.trellis.core.Service
import org.trellis.core.Specialty
import org.trellis.core.TrellisStore
import org.trellis.core.Urgency

/** The Exchange screen's model, against the real library and a real relay. */
class ExchangeTest {
    private fun phone(user: String, card: CardUpdate): Pair<TrellisStore, TrellisStore> {
        val path = Files.createTempDirectory("core-ui-exchange").toFile().resolve("trellis.sqlite3").path
        val practice = TrellisStore.open(path)
        practice.init(user)
        practice.createWorkspace("$user's practice")
        practice.setProfile(card)
        return practice to TrellisStore.openRegion(path)
    }

    private fun need(text: String?) = Need(
        Service.INDIVIDUAL, AgeBand.TEEN, listOf(Specialty.ANXIETY), emptyList(),
        Payer.Panel(Panel.AETNA), "010", null, null, null, Urgency.SOON, text,
    )

    @Test
    fun aNeedIsPostedSeenAsFittingAnsweredAndClosedIntoReferrals() = runBlocking {
        val bin = TestRelay.binary() ?: return@runBlocking println("skipped: no trellis-relay built")
        TestRelay.start(bin).use { relay ->
            val (dana, danaRegion) = phone("Dana", CardUpdate(ageBands = listOf(AgeBand.ADULT)))
            val (sam, samRegion) = phone(
                "Sam",
                CardUpdate(ageBands = listOf(AgeBand.TEEN), panels = listOf(Panel.AETNA), zip3 = "010", openings = Openings.Accepting),
            )
            try {
                val danas = ExchangeModel(dana, danaRegion)
                danas.refresh()
                assertNull(danas.state.value.region) // in no region yet

                danaRegion.createSharedWorkspace("Pioneer Valley", relay.url, TestRelay.SECRET)
                samRegion.join(danaRegion.createInvite(Role.MEMBER, false), null)
                danaRegion.sync() // hands Sam's phone the region's keys
                val sams = ExchangeModel(sam, samRegion)
                assertTrue(sams.sync(), sams.state.value.problem)
                assertEquals("Pioneer Valley", sams.state.value.region)

                // A text naming a contact Dana knows: refused with the core's reason, nothing posted.
                dana.addContact(org.trellis.core.NewContact(name = "Marisol Ortega"))
                assertFalse(danas.post(need("Marisol Ortega asked me to post.")))
                assertTrue(danas.state.value.problem!!.contains("names a contact"))
                assertEquals(emptyList(), danas.state.value.posts)
                assertTrue(danas.post(need("Looking for someone warm and direct.")), danas.state.value.problem)
                val id = danas.state.value.posts.single().id
                assertTrue(danas.sync())

                assertTrue(sams.sync())
                val seen = sams.state.value.posts.single()
                assertTrue(seen.fits)
                assertTrue(ExchangeFormat.headline(seen).endsWith("fits you"), ExchangeFormat.headline(seen))
                assertTrue(sams.reply(id, Fit.YES, 2u, "Happy to."))
                assertFalse(sams.openReplies(id)) // sealed to Dana's devices
                assertTrue(sams.sync())

                assertTrue(danas.sync())
                assertTrue(danas.openReplies(id))
                val (openId, replies) = assertNotNull(danas.state.value.replies)
                assertEquals(id, openId)
                assertEquals("Sam: yes, within 2 weeks — Happy to.", ExchangeFormat.reply(replies.single()))

                assertTrue(danas.close(id, Outcome.CONNECTED, "Sam"), danas.state.value.problem)
                assertEquals(1UL, danas.state.value.recorded)
                assertEquals("connected", danas.state.value.posts.single().status)
                assertEquals(ReferralDirection.SENT, dana.referrals().single().direction)
                assertTrue(danas.sync())

                assertTrue(sams.sync())
                assertEquals(1UL, sams.state.value.recorded)
                assertEquals(ReferralDirection.RECEIVED, sam.referrals().single().direction)
            } finally {
                listOf(dana, danaRegion, sam, samRegion).forEach { it.close() }
            }
        }
    }
}

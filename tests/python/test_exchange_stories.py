"""Regions and the referral exchange through the generated Python bindings, against a real relay:
three therapists of three practices, each phone with its practice store and its region store on
the same file. Dana creates a region and invites Sam and Ria (each join completed by her region
sync handing the keys over, then the joiner's); she posts a need; Sam, whose card fits, sees it
with `fits`, Ria (full) does not; both reply; only Dana reads the replies; she closes it as
connected with Sam, and `record_exchange` records a referral sent in her practice and, after
Sam's region sync, one received in his. A text naming a contact Dana knows is refused and
nothing is stored."""
import asyncio

import pytest

import trellis_ffi as t
from conftest import SIGNUP_SECRET, join


@pytest.fixture
def phone(tmp_path):
    """A phone: its practice store (set up for `user`, with a local practice and a card) and
    its region store, opened on the same file; all closed after."""
    opened = []

    def make(user, card):
        path = str(tmp_path / user / "trellis.sqlite3")
        practice = t.TrellisStore.open(path)
        practice.init(user)
        practice.create_workspace(f"{user}'s practice")
        practice.set_profile(card)
        region = t.TrellisStore.open_region(path)
        opened.extend([practice, region])
        return practice, region

    yield make
    for store in opened:
        store.close()


def teen_need(text=None):
    """A teen with anxiety, on Aetna, in person around 010, within a week or two."""
    return t.NewPost(need=t.Need(
        service=t.Service.INDIVIDUAL, age_band=t.AgeBand.TEEN,
        specialties=[t.Specialty.ANXIETY], modalities=[t.Modality.CBT],
        payer=t.Payer.PANEL(panel=t.Panel.AETNA), zip3="010", telehealth=None,
        language=None, when=t.When.WEEKDAY_EVENING, urgency=t.Urgency.SOON, text=text))


def sync(store):
    return asyncio.run(store.sync())


def test_a_need_posted_to_a_region_is_answered_closed_and_recorded_in_both_practices(
        relay, phone):
    dana, dana_region = phone("Dana", t.CardUpdate(age_bands=[t.AgeBand.ADULT]))
    sam, sam_region = phone("Sam", t.CardUpdate(
        age_bands=[t.AgeBand.TEEN], specialties=[t.Specialty.ANXIETY],
        modalities=[t.Modality.CBT], panels=[t.Panel.AETNA], zip3="010",
        openings=t.Openings.ACCEPTING()))
    ria, ria_region = phone("Ria", t.CardUpdate(
        age_bands=[t.AgeBand.TEEN], panels=[t.Panel.AETNA], zip3="010",
        openings=t.Openings.FULL()))
    assert dana_region.is_region() and not dana.is_region()

    # No region yet: the exchange has nowhere to post.
    with pytest.raises(t.TrellisError.NoWorkspace):
        dana_region.posts(t.PostFilter())
    assert dana.record_exchange(dana_region) == 0

    # Dana creates the region; it is the region store's, not the practice's.
    region = asyncio.run(dana_region.create_shared_workspace(
        "Pioneer Valley", relay.url, SIGNUP_SECRET))
    assert [w.name for w in dana_region.workspaces()] == ["Pioneer Valley"]
    assert [w.name for w in dana.workspaces()] == ["Dana's practice"]
    for joiner in (sam_region, ria_region):
        code = asyncio.run(dana_region.create_invite(t.Role.MEMBER, False))
        joined = join(dana_region, joiner, code)
        assert joined.id == region.id
    sync(dana_region)  # so Dana's region knows both by name
    names = {m.name for m in asyncio.run(dana_region.roster())}
    assert names == {"Dana", "Sam", "Ria"}

    post = dana_region.post_need(teen_need("Looking for someone warm and direct."))
    assert post.mine and post.status == "open" and post.replies == 0
    assert post.need.when == t.When.WEEKDAY_EVENING
    assert post.need.payer == t.Payer.PANEL(panel=t.Panel.AETNA)
    assert post.notice is None
    sync(dana_region)
    sync(sam_region)
    sync(ria_region)

    # Sam's card fits; Ria is full, so it does not fit hers.
    [seen] = sam_region.posts(t.PostFilter(fits_me=True))
    assert seen.id == post.id and seen.fits and not seen.mine and seen.author == "Dana"
    assert seen.score >= 2  # anxiety, CBT (and accepting)
    [theirs] = ria_region.posts(t.PostFilter())
    assert theirs.id == post.id and not theirs.fits
    assert ria_region.posts(t.PostFilter(fits_me=True)) == []

    # Both reply; replies are sealed to Dana's devices.
    sam_region.reply(post.id[:8], t.ReplyInput(fit=t.Fit.YES, weeks=1, note="Happy to."))
    ria_region.reply(post.id, t.ReplyInput(fit=t.Fit.NO, note="Try someone who does CBT."))
    sync(sam_region)
    sync(ria_region)
    sync(dana_region)
    assert dana_region.post(post.id).replies == 2
    replies = dana_region.replies(post.id)
    assert [(r.member, r.fit) for r in replies] == [("Sam", t.Fit.YES), ("Ria", t.Fit.NO)]
    assert replies[0].weeks == 1 and replies[0].card.zip3 == "010"
    with pytest.raises(t.TrellisError.InvalidInput):
        sam_region.replies(post.id)

    # Dana closes it as connected with Sam: a referral sent in her practice, once.
    closed = dana_region.close_post(post.id, t.Outcome.CONNECTED, "Sam")
    assert closed.status == "connected" and closed.closed_with == "Sam"
    assert dana.record_exchange(dana_region) == 1
    assert dana.record_exchange(dana_region) == 0
    [sent] = dana.referrals()
    assert sent.direction == t.ReferralDirection.SENT and sent.contact == "Sam"

    # Sam's region sync records it as received in his practice, once.
    assert sam.referrals() == []
    sync(dana_region)
    assert sync(sam_region).referrals_recorded == 1
    assert sam_region.post(post.id).status == "connected"
    assert sam.record_exchange(sam_region) == 0
    [received] = sam.referrals()
    assert received.direction == t.ReferralDirection.RECEIVED and received.contact == "Dana"
    sync(ria_region)
    assert ria.record_exchange(ria_region) == 0
    assert ria.referrals() == []

    # A text naming a contact Dana's practice knows is refused; nothing is stored.
    dana.add_contact(t.NewContact(name="Marisol Ortega"))
    before = dana_region.status().pending_changes
    mine = len(dana_region.posts(t.PostFilter(mine=True)))
    with pytest.raises(t.TrellisError.InvalidInput) as refused:
        dana_region.post_need(teen_need("Marisol Ortega suggested I ask here."))
    assert "names a contact" in str(refused.value)
    assert dana_region.status().pending_changes == before
    assert len(dana_region.posts(t.PostFilter(mine=True))) == mine

    # A substance-use need carries the Part 2 notice and no text.
    need = teen_need()
    need.need.specialties = [t.Specialty.SUBSTANCE_USE]
    assert dana_region.post_need(need).notice == t.part2_notice()

"""Profile cards through the generated Python bindings: the closed lists for the pickers; a card
written on one phone, refused whole when its ZIP is not three digits (nothing stored), emptied
field by field; two colleagues of one practice who each write a first card before either phone
synced, sync, and each read the other's; a card handed out as a vCard with the name and the
openings."""
import asyncio

import pytest

import trellis_ffi as t
from conftest import SIGNUP_SECRET, join


def danas_card():
    """Dana's card: a school-age anxiety specialist with a short waitlist."""
    return t.CardUpdate(
        specialties=[t.Specialty.SCHOOL_ISSUES, t.Specialty.ANXIETY],
        age_bands=[t.AgeBand.TEEN, t.AgeBand.CHILD],
        modalities=[t.Modality.CBT],
        panels=[t.Panel.AETNA, t.Panel.BCBS],
        self_pay=t.SelfPayChange.OFFER(range=t.FeeRange(min=80, max=150)),
        languages=[t.Language.ENGLISH, t.Language.SPANISH],
        zip3="010",
        telehealth=["ma", "NH"],
        credentials=[t.Credential.LCSW],
        openings=t.Openings.WAITLIST(weeks=3),
        pitch="I help teens with anxiety get back to school.",
    )


def test_the_cards_closed_lists_come_from_the_core_in_its_order():
    choices = t.profile_choices()
    assert choices.specialties == list(t.Specialty)
    assert choices.populations == list(t.Population)
    assert choices.age_bands == list(t.AgeBand)
    assert choices.modalities == list(t.Modality)
    assert choices.panels == list(t.Panel)
    assert choices.languages == list(t.Language)
    assert choices.credentials == list(t.Credential)
    assert len(choices.us_states) == 51  # the 50 states and DC
    assert {"DC", "MA"} <= set(choices.us_states)


def test_a_card_with_a_bad_zip_is_refused_whole_and_empty_text_removes_a_field(therapist):
    store = therapist("Dana")
    # Before she writes one, her card is empty and asks whether she has room.
    empty = store.profile()
    assert empty.mine and empty.openings_stale and empty.name == "Dana"
    assert empty.member_id == store.workspaces()[0].member_id
    assert empty.card.specialties == [] and empty.card.openings is None
    assert store.profiles() == []

    mine = store.set_profile(danas_card())
    assert not mine.openings_stale  # just confirmed
    assert mine.card.openings_confirmed_at is not None
    assert mine.card.openings == t.Openings.WAITLIST(weeks=3)
    assert mine.card.telehealth == ["MA", "NH"]
    assert mine.card.self_pay == t.FeeRange(min=80, max=150)
    assert set(mine.card.specialties) == {t.Specialty.ANXIETY, t.Specialty.SCHOOL_ISSUES}
    assert store.profile() == mine
    assert store.profiles() == [mine]

    # A ZIP finer than three digits: refused, and the openings given with it are not kept.
    before = store.status().pending_changes
    with pytest.raises(t.TrellisError.InvalidInput) as bad:
        store.set_profile(t.CardUpdate(zip3="01002", openings=t.Openings.FULL()))
    assert "01002" in str(bad.value)
    with pytest.raises(t.TrellisError.InvalidInput):
        store.set_profile(t.CardUpdate(telehealth=["Massachusetts"]))
    with pytest.raises(t.TrellisError.InvalidInput):
        store.set_profile(t.CardUpdate(pitch="a" * 601))
    # A fee range upside down, a waitlist of no weeks: refused too.
    with pytest.raises(t.TrellisError.InvalidInput):
        store.set_profile(t.CardUpdate(
            self_pay=t.SelfPayChange.OFFER(range=t.FeeRange(min=200, max=100))))
    with pytest.raises(t.TrellisError.InvalidInput):
        store.set_profile(t.CardUpdate(openings=t.Openings.WAITLIST(weeks=0)))
    assert store.status().pending_changes == before
    assert store.profile() == mine

    # Empty text removes the ZIP and the pitch, CLEAR the fees, an empty list the panels; what
    # is not named stays.
    cleared = store.set_profile(t.CardUpdate(
        zip3="", pitch=" ", self_pay=t.SelfPayChange.CLEAR(), panels=[]))
    assert cleared.card.zip3 is None and cleared.card.pitch is None
    assert cleared.card.self_pay is None and cleared.card.panels == []
    assert cleared.card.specialties == mine.card.specialties
    assert cleared.card.openings_confirmed_at == mine.card.openings_confirmed_at


def shared_practice(relay, new_store, name):
    """Dana's phone with a practice on the relay; Sam's phone joined; both synced."""
    a, b = new_store(f"{name}-dana"), new_store(f"{name}-sam")
    a.init("Dana")
    asyncio.run(a.create_shared_workspace(name, relay.url, SIGNUP_SECRET))
    code = asyncio.run(a.create_invite(t.Role.MEMBER, False))
    b.init("Sam")
    join(a, b, code)
    asyncio.run(a.sync())  # so Dana's phone knows Sam by name
    return a, b


def test_two_colleagues_write_their_cards_sync_and_read_each_others(relay, new_store):
    a, b = shared_practice(relay, new_store, "Card Practice")

    # Each writes a first card on a phone that has not seen the other's.
    danas = a.set_profile(danas_card())
    sams = b.set_profile(t.CardUpdate(
        populations=[t.Population.VETERANS], modalities=[t.Modality.EMDR],
        credentials=[t.Credential.LMFT], zip3="021", openings=t.Openings.FULL()))

    # Sam mistypes his ZIP with the openings he means to confirm: nothing is stored.
    pending = b.status().pending_changes
    with pytest.raises(t.TrellisError.InvalidInput) as refused:
        b.set_profile(t.CardUpdate(zip3="02139", openings=t.Openings.ACCEPTING()))
    assert "02139" in str(refused.value)
    assert b.status().pending_changes == pending
    assert b.profile() == sams

    for phone in (a, b, a):
        asyncio.run(phone.sync())

    # Sam reads Dana's card as she wrote it, and Dana reads Sam's.
    seen_by_sam = b.profile("Dana")
    assert (seen_by_sam.name, seen_by_sam.mine, seen_by_sam.openings_stale) == ("Dana", False, False)
    assert seen_by_sam.member_id == danas.member_id
    assert seen_by_sam.card == danas.card
    seen_by_dana = a.profile(sams.member_id[:8])
    assert seen_by_dana.name == "Sam" and seen_by_dana.card == sams.card
    assert seen_by_dana.card.openings == t.Openings.FULL()
    assert seen_by_dana.card.zip3 == "021"
    for phone in (a, b):
        cards = phone.profiles()
        assert [p.name for p in cards] == ["Dana", "Sam"]
        assert [p.mine for p in cards] == [phone is a, phone is b]
    with pytest.raises(t.TrellisError.NotFound):
        a.profile("Nobody Known")

    # A later change replaces only what it names, and reaches the colleague too.
    a.set_profile(t.CardUpdate(openings=t.Openings.ACCEPTING()))
    asyncio.run(a.sync())
    asyncio.run(b.sync())
    updated = b.profile("Dana").card
    assert updated.openings == t.Openings.ACCEPTING()
    assert updated.panels == danas.card.panels

    # Dana's card as a vCard from Sam's phone, for a school counselor's address book.
    vcf = b.profile_vcard("Dana")
    assert vcf.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n"), vcf
    for line in ("FN:Dana", "TITLE:LCSW", "X-TRELLIS-OPENINGS:accepting", "X-TRELLIS-ZIP3:010",
                 "LANG:es"):
        assert line in vcf, vcf
    own = b.profile_vcard()
    assert "FN:Sam" in own and "X-TRELLIS-OPENINGS:full" in own, own


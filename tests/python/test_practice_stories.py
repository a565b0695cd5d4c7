"""A practice's work with its referral sources through the generated Python bindings, on one
device: follow-ups, leave-behind stock, referrals and stages, pitches, nearby, talks and
memberships, cadence and losing touch, archive and delete, and the reports."""
from datetime import datetime, timedelta, timezone

import pytest

import trellis_ffi as t

LINCOLN = (45.5152, -122.6784)  # Portland, OR
SEATTLE = (47.6062, -122.3321)


def rfc3339(moment):
    """UTC at second precision, as the core writes times."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def a_school_and_its_counselor(store):
    school = store.add_org(t.NewOrg(
        name="Lincoln Middle School", kind=t.OrgKind.SCHOOL, address="1200 Lincoln Ave",
        phone="503-555-0100", website="https://lincoln.example"))
    counselor = store.add_contact(t.NewContact(
        name="Maria Rivera", organization="Lincoln", role="Lead counselor",
        category=t.ContactCategory.SCHOOL_COUNSELOR, phones=["503-555-0101"],
        emails=["mrivera@lincoln.example"], how_we_help="Teen anxiety group", tags=["teens"]))
    return school, counselor


def test_a_drop_by_calls_for_a_thank_you_48_hours_later_and_it_can_be_completed(therapist):
    store = therapist("Dana")
    school, counselor = a_school_and_its_counselor(store)
    assert (school.phone, school.website, school.archived) == (
        "503-555-0100", "https://lincoln.example", False)
    assert (school.lat, school.lon) == (None, None)
    assert counselor.role == "Lead counselor" and counselor.tags == ["teens"]
    assert counselor.stage == t.Stage.PROSPECT
    assert counselor.cadence_days == 30  # a school counselor's default
    assert counselor.phones == ["503-555-0101"] and counselor.how_we_help == "Teen anxiety group"
    assert store.settings() == t.Settings(
        minutes_per_week=240, new_connections_per_month=2, thank_you_hours=48)

    at = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=30)
    visit = store.log_drop_by(t.NewDropBy(
        organization="Lincoln", contacts=["Maria"], minutes=20, at=rfc3339(at)))
    assert visit.at == rfc3339(at)

    [thanks] = store.followups(t.FollowUpFilter.OPEN)
    assert thanks.kind == t.FollowUpKind.THANK_YOU
    assert thanks.due_at == rfc3339(at + timedelta(hours=48))
    assert (thanks.contact, thanks.contact_id) == ("Maria Rivera", counselor.id)
    assert (thanks.organization, thanks.activity_id) == ("Lincoln Middle School", visit.id)
    assert (thanks.assigned_to, thanks.done_at, thanks.overdue) == ("Dana", None, False)
    assert store.followups(t.FollowUpFilter.DUE) == [thanks]  # due in 18 hours
    assert store.followups(t.FollowUpFilter.OVERDUE) == []

    detail = store.contact("Maria")
    assert detail.followups == [thanks]
    assert detail.days_since_touch == 1

    done = store.complete_followup(thanks.id[:8])
    assert done.id == thanks.id and done.done_at is not None
    assert store.followups(t.FollowUpFilter.OPEN) == []
    assert store.followups(t.FollowUpFilter.ALL) == [done]
    assert store.contact("Maria").followups == []


def test_brochures_restocked_then_left_on_a_drop_by_come_out_of_stock(therapist):
    store = therapist("Dana")
    store.add_org(t.NewOrg(name="Lincoln Middle School", kind=t.OrgKind.SCHOOL))
    stocked = store.restock("Brochures", 20)
    assert stocked == t.StockItem(item="brochures", name="Brochures", stock=20, low_at=5, low=False)

    store.log_drop_by(t.NewDropBy(organization="Lincoln", minutes=15, left_behind=[
        t.LeftBehind(item="brochures", qty=3), t.LeftBehind(item="succulent", qty=1)]))
    [brochures] = store.stock()  # the succulent is not in the catalog
    assert (brochures.name, brochures.stock, brochures.low) == ("Brochures", 17, False)
    assert store.stock_report() == [
        t.StockUse(name="Brochures", stock=17, low=False, used=3),
        t.StockUse(name="succulent", stock=0, low=False, used=1),
    ]
    assert store.set_low_stock("brochures", 20).low is True
    with pytest.raises(t.TrellisError.NotFound):
        store.set_low_stock("tea sachets", 3)
    with pytest.raises(t.TrellisError.InvalidInput):
        store.restock("Brochures", 0)


def test_a_first_referral_moves_the_contact_to_referring_and_the_reports_count_it(therapist):
    store = therapist("Dana")
    a_school_and_its_counselor(store)
    store.add_org(t.NewOrg(name="Oak Family Clinic", kind=t.OrgKind.CLINIC))

    received = store.add_referral(t.NewReferral(
        direction=t.ReferralDirection.RECEIVED, partner="Maria", reason="Adolescent anxiety",
        channel=t.ReferralChannel.PHONE))
    assert received.day == datetime.now().strftime("%Y-%m-%d")
    assert (received.contact, received.organization) == ("Maria Rivera", "Lincoln Middle School")
    assert (received.status, received.channel) == (t.ReferralStatus.INQUIRY, t.ReferralChannel.PHONE)
    assert received.recorded_by == "Dana"
    assert store.contact("Maria").contact.stage == t.Stage.REFERRING

    sent = store.add_referral(t.NewReferral(
        direction=t.ReferralDirection.SENT, partner="Oak Family", reason="couples",
        status=t.ReferralStatus.SCHEDULED, on="2026-01-05"))
    assert (sent.day, sent.contact, sent.organization) == ("2026-01-05", None, "Oak Family Clinic")
    with pytest.raises(t.TrellisError.NotFound):
        store.add_referral(t.NewReferral(
            direction=t.ReferralDirection.RECEIVED, partner="Nobody Known", reason="grief"))

    assert {r.id for r in store.referrals()} == {received.id, sent.id}
    assert store.referrals(to_day="2026-01-31") == [sent]
    assert store.referral_reasons() == ["Adolescent anxiety", "couples"]
    report = store.referral_report()
    assert (report.received, report.sent, report.became_clients) == (1, 1, 0)
    assert report.by_source == [t.Count(label="Maria Rivera", count=1)]
    assert report.by_category == [t.Count(label="school-counselor", count=1)]
    assert report.by_reason == [t.Count(label="Adolescent anxiety", count=1)]
    assert store.reciprocity_report() == [
        t.Reciprocity(partner="Maria Rivera", received=1, sent=0),
        t.Reciprocity(partner="Oak Family Clinic", received=0, sent=1),
    ]


def test_a_pitch_for_the_category_shows_with_the_contact(therapist):
    store = therapist("Dana")
    a_school_and_its_counselor(store)
    assert store.contact("Maria").pitch is None
    pitch = "I run a teen anxiety group on Tuesdays and can see students within a week."
    assert store.set_pitch(t.ContactCategory.SCHOOL_COUNSELOR, pitch) == pitch
    assert store.contact("Maria").pitch == pitch
    assert store.pitch(t.ContactCategory.SCHOOL_COUNSELOR) == pitch
    assert store.pitch(t.ContactCategory.PEDIATRICIAN) is None
    assert store.set_pitch(t.ContactCategory.SCHOOL_COUNSELOR, "") is None
    assert store.contact("Maria").pitch is None


def test_organizations_with_a_location_are_found_nearby_nearest_first(therapist):
    store = therapist("Dana")
    a_school_and_its_counselor(store)
    located = store.set_org_location("Lincoln", *LINCOLN)
    assert (located.lat, located.lon) == LINCOLN
    oak = store.add_org(t.NewOrg(
        name="Oak Family Clinic", kind=t.OrgKind.CLINIC,
        location=t.GeoPoint(lat=LINCOLN[0] + 0.015, lon=LINCOLN[1])))  # ~1.7 km north
    assert (oak.lat, oak.lon) == (LINCOLN[0] + 0.015, LINCOLN[1])
    store.add_org(t.NewOrg(name="Nowhere Yet", kind=t.OrgKind.OTHER))  # no location
    at = datetime.now(timezone.utc) - timedelta(days=3, hours=1)
    store.log_drop_by(t.NewDropBy(organization="Lincoln", minutes=10, at=rfc3339(at)))

    near = store.nearby(*LINCOLN)  # within 10 km unless told
    assert [n.organization.name for n in near] == ["Lincoln Middle School", "Oak Family Clinic"]
    assert near[0].distance_km == 0.0 and near[0].days_since_visit == 3
    assert 1.5 < near[1].distance_km < 1.8 and near[1].days_since_visit is None
    assert [n.organization.name for n in store.nearby(*LINCOLN, within_km=1.0)] == [
        "Lincoln Middle School"]
    assert store.nearby(*SEATTLE, within_km=10.0) == []
    with pytest.raises(t.TrellisError.InvalidInput):
        store.set_org_location("Lincoln", 91.0, 0.0)


def test_a_talk_at_the_rotary_counts_toward_the_week_and_the_membership_is_kept(therapist):
    store = therapist("Dana")
    ws = store.workspaces()[0]
    a_school_and_its_counselor(store)
    store.add_org(t.NewOrg(name="Rotary Club of Portland", kind=t.OrgKind.COMMUNITY_ORG))
    at = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=2)
    store.log_drop_by(t.NewDropBy(
        organization="Lincoln", contacts=["Maria"], minutes=20, at=rfc3339(at)))
    talk = store.log_activity(t.NewActivity(
        kind=t.ActivityKind.TALK, organization="Rotary", minutes=45,
        audience="Rotary lunch", attendance=35, at=rfc3339(at)))
    assert (talk.kind, talk.audience, talk.attendance) == (t.ActivityKind.TALK, "Rotary lunch", 35)
    assert len(store.followups(t.FollowUpFilter.ALL)) == 1  # a talk calls for no thank-you

    day = at.astimezone().strftime("%Y-%m-%d")  # the core's days are the device's
    week = store.time_report(from_day=day, to_day=day)
    assert week.goal_minutes == 240
    assert [(w.minutes, w.activities, w.goal_met) for w in week.weeks] == [(65, 2, False)]
    assert week.by_kind == [t.Count(label="talk", count=45), t.Count(label="drop-by", count=20)]
    assert store.set_goals(minutes_per_week=60) == t.Settings(
        minutes_per_week=60, new_connections_per_month=2, thank_you_hours=48)
    assert store.time_report(from_day=day, to_day=day).weeks[0].goal_met is True

    month = store.connections_report(month=at.astimezone().strftime("%Y-%m"))
    assert [c.name for c in month.connections] == ["Maria Rivera"]
    assert (month.goal, month.goal_met) == (2, False)

    membership = store.add_membership("Rotary", "board member", renews="2027-01-31")
    assert (membership.organization, membership.member) == ("Rotary Club of Portland", "Dana")
    assert (membership.role, membership.renews) == ("board member", "2027-01-31")
    assert store.memberships() == [membership]
    assert store.members() == [t.Member(id=ws.member_id, name="Dana")]


def test_cadence_losing_touch_stages_follow_ups_archive_and_delete(therapist):
    store = therapist("Dana")
    sam = store.add_contact(t.NewContact(name="Sam Ortiz", category=t.ContactCategory.THERAPIST))
    assert sam.cadence_days == 45
    long_ago = datetime.now(timezone.utc) - timedelta(days=50, hours=1)
    store.log_activity(t.NewActivity(
        kind=t.ActivityKind.CALL, contacts=["Sam"], minutes=15, at=rfc3339(long_ago)))
    [losing] = store.losing_touch()
    assert (losing.contact.id, losing.days_since_touch, losing.days_overdue) == (sam.id, 50, 5)
    assert store.set_cadence("Sam", 60).cadence_days == 60
    assert store.losing_touch() == []
    with pytest.raises(t.TrellisError.InvalidInput):
        store.set_cadence("Sam", 0)
    assert store.set_stage("Sam", t.Stage.CONNECTED).stage == t.Stage.CONNECTED

    f = store.add_followup(t.NewFollowUp(
        kind=t.FollowUpKind.SEND_RESOURCE, contact="Sam", due="2030-01-15",
        note="Send the grief group flyer"))
    assert (f.kind, f.contact, f.note) == (
        t.FollowUpKind.SEND_RESOURCE, "Sam Ortiz", "Send the grief group flyer")
    assert f.due_at[:9] == "2030-01-1"  # 9:00 that morning, in the device's zone
    assert store.snooze_followup(f.id, "2030-02-01T17:00:00Z").due_at == "2030-02-01T17:00:00Z"
    assert store.reassign_followup(f.id, "Dana").assigned_to == "Dana"
    with pytest.raises(t.TrellisError.NotFound):
        store.reassign_followup(f.id, "Nobody")
    with pytest.raises(t.TrellisError.InvalidInput):
        store.complete_followup("zz")

    assert store.archive_contact("Sam", True).archived is True
    assert store.contacts() == []
    assert store.archive_contact("Sam", False).archived is False
    assert [c.name for c in store.contacts()] == ["Sam Ortiz"]
    assert store.delete_contact("Sam").id == sam.id
    assert store.contacts() == []
    with pytest.raises(t.TrellisError.NotFound):
        store.contact("Sam")

    store.add_org(t.NewOrg(name="Oak Family Clinic", kind=t.OrgKind.CLINIC))
    assert store.archive_org("Oak", True).archived is True
    assert store.organizations() == []
    store.archive_org("Oak", False)
    assert store.delete_org("Oak").name == "Oak Family Clinic"
    assert store.organizations() == []

"""What a therapist does on one device, offline, through the generated Python bindings."""
import pytest

import trellis_ffi as t


def test_privacy_hint_is_the_core_sentence():
    assert "client names" in t.note_privacy_hint()


def test_a_new_device_must_be_set_up_before_it_records_anything(new_store):
    store = new_store("fresh")
    with pytest.raises(t.TrellisError.NotInitialized) as e:
        store.device()
    assert "not set up" in e.value.reason
    dana = store.init("Dana")
    assert store.device() == dana and dana.name == "Dana"
    with pytest.raises(t.TrellisError.Conflict):
        store.init("Dana again")
    with pytest.raises(t.TrellisError.NoWorkspace):
        store.contacts()
    ws = store.create_workspace("Maple Street Counseling")
    assert (ws.role, ws.current, ws.relay_url) == (t.Role.OWNER, True, None)
    assert store.workspaces() == [ws]


def test_a_therapist_logs_a_drop_by_and_finds_it_again(therapist):
    store = therapist("Dana")
    school = store.add_org(t.NewOrg(
        name="Lincoln Middle School", kind=t.OrgKind.SCHOOL, address="1200 Lincoln Ave"))
    assert (school.kind, school.address) == (t.OrgKind.SCHOOL, "1200 Lincoln Ave")
    counselor = store.add_contact(t.NewContact(
        name="Maria Rivera", organization="Lincoln",
        category=t.ContactCategory.SCHOOL_COUNSELOR, emails=["mrivera@lincoln.example"]))
    assert counselor.organization_id == school.id
    assert counselor.organization == "Lincoln Middle School"

    left = [t.LeftBehind(item="brochures", qty=10), t.LeftBehind(item="succulent", qty=1)]
    logged = store.log_drop_by(t.NewDropBy(
        organization="Lincoln", contacts=["Maria"], minutes=20,
        note="Counselors asked for flyers about the teen anxiety group", left_behind=left))

    [visit] = store.activities()
    assert visit == logged
    assert visit.kind == t.ActivityKind.DROP_BY
    assert visit.organization == "Lincoln Middle School"
    assert visit.contacts == ["Maria Rivera"] and visit.contact_ids == [counselor.id]
    assert visit.minutes == 20 and visit.left_behind == left
    assert visit.logged_by == "Dana"

    hits = store.search("anxiety")
    assert any(h.kind == "activity" and h.id == logged.id for h in hits), hits
    assert any(h.kind == "contact" and h.id == counselor.id for h in store.search("rivera"))

    note = store.append_note("Maria", "Prefers email; the office is busy on Mondays")
    detail = store.contact("Maria Rivera")
    assert detail.contact.id == counselor.id
    assert detail.notes == [note] and note.author == "Dana"
    assert store.contacts()[0].last_touch_at == visit.at

    status = store.status()
    assert status.workspace == "Maple Street Counseling" and status.relay_url is None
    assert status.pending_changes > 0
    # Nothing pulled, no roster fetched: nothing set aside, no roster problem.
    assert (status.set_aside, status.roster_problem, status.roster_refused) == (0, None, 0)


def test_an_unknown_organization_is_not_found_with_candidates_and_records_nothing(therapist):
    store = therapist("Dana")
    store.add_org(t.NewOrg(name="Lincoln Middle School", kind=t.OrgKind.SCHOOL))
    with pytest.raises(t.TrellisError.NotFound) as e:
        store.log_drop_by(t.NewDropBy(organization="Oak Middle School", minutes=15))
    assert "Oak Middle School" in e.value.reason
    assert "Lincoln Middle School" in e.value.reason
    [candidate] = e.value.candidates
    assert candidate.startswith("Lincoln Middle School (")
    assert isinstance(e.value, t.TrellisError)  # one base class a UI can catch
    assert store.activities() == []


def test_bad_input_is_refused_and_ambiguous_names_list_matches(therapist):
    store = therapist("Dana")
    with pytest.raises(t.TrellisError.InvalidInput) as e:
        store.add_contact(t.NewContact(name="Sam Lee", emails=["not-an-address"]))
    assert "not-an-address" in e.value.reason
    with pytest.raises(t.TrellisError.InvalidInput):
        store.log_drop_by(t.NewDropBy(minutes=2000))
    store.add_contact(t.NewContact(name="Sam Lee"))
    store.add_contact(t.NewContact(name="Sam Ortiz"))
    with pytest.raises(t.TrellisError.Ambiguous) as amb:
        store.append_note("Sam", "hello")
    assert len(amb.value.candidates) == 2
    assert store.activities() == []
    # A contact corrected after she was added; a bad correction changes nothing.
    lee = store.update_contact("Sam Lee", t.ContactChanges(role="School psychologist", phones=["555-0100"]))
    assert lee.role == "School psychologist" and lee.phones == ["555-0100"]
    with pytest.raises(t.TrellisError.InvalidInput):
        store.update_contact("Sam Lee", t.ContactChanges(name="Sam Li", emails=["no-at-sign"]))
    assert store.contact("Sam Lee").contact.name == "Sam Lee"


def test_close_releases_the_store_and_later_calls_say_so(tmp_path):
    path = str(tmp_path / "trellis.sqlite3")
    store = t.TrellisStore.open(path)
    store.init("Dana")
    store.create_workspace("Maple Street Counseling")
    store.add_org(t.NewOrg(name="St. Mark's Church", kind=t.OrgKind.PLACE_OF_WORSHIP))
    store.close()
    with pytest.raises(t.TrellisError.Closed) as e:
        store.organizations()
    assert "closed" in e.value.reason
    store.close()  # twice is harmless
    again = t.TrellisStore.open(path)
    assert [o.name for o in again.organizations()] == ["St. Mark's Church"]
    again.close()

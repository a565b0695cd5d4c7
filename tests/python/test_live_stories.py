"""Live updates, membership and import/export through the generated Python bindings.

A screen's listener hears a drop-by and stops hearing once its handle is closed; two phones
with background sync exchange a visit through a relay process without calling sync(); a removed
clinician's phone gets the typed Removed error; the roster, a transfer of ownership and leaving;
fingerprints compared and a colleague's device recorded as verified (a mistyped one refused), and
the flag on a colleague's new device nobody verified; a CSV import with progress, and the exports.
"""
import asyncio
import re
import threading
import time

import pytest

import trellis_ffi as t
from conftest import SIGNUP_SECRET, join


class Heard(t.TrellisListener):
    """What a screen's listener heard; called on the store's event thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.changes = []
        self.states = []

    def data_changed(self, change):
        with self.lock:
            self.changes.append(change)

    def sync_state(self, state):
        with self.lock:
            self.states.append(state)

    def kinds(self):
        with self.lock:
            return {k for c in self.changes for k in c.kinds}


def eventually(seconds, what, done):
    until = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < until, f"timed out waiting for: {what}"
        time.sleep(0.05)


def shared_practice(relay, new_store, name):
    """Dana's phone with a practice on the relay and a school; Sam's phone joined; both synced."""
    a, b = new_store(f"{name}-dana"), new_store(f"{name}-sam")
    a.init("Dana")
    asyncio.run(a.create_shared_workspace(name, relay.url, SIGNUP_SECRET))
    a.add_org(t.NewOrg(name="Lincoln Middle School", kind=t.OrgKind.SCHOOL))
    code = asyncio.run(a.create_invite(t.Role.MEMBER, False))
    asyncio.run(a.sync())
    b.init("Sam")
    join(a, b, code)
    asyncio.run(a.sync())  # so Dana's phone knows Sam by name
    return a, b


def test_a_listener_hears_a_drop_by_and_its_thank_you_and_nothing_after_close(therapist):
    store = therapist("Dana")
    store.add_org(t.NewOrg(name="Lincoln Middle School"))
    [ws] = store.workspaces()
    heard = Heard()
    handle = store.subscribe(heard)
    store.log_drop_by(t.NewDropBy(organization="Lincoln", minutes=20, note="Front office"))
    eventually(5, "activities and follow-ups announced",
               lambda: {t.ChangeKind.ACTIVITIES, t.ChangeKind.FOLLOW_UPS} <= heard.kinds())
    assert all(c.workspace_id == ws.id for c in heard.changes)

    handle.close()
    time.sleep(0.2)  # an event already in flight may still land
    with heard.lock:
        heard.changes.clear()
    store.log_drop_by(t.NewDropBy(organization="Lincoln", minutes=5))
    time.sleep(0.5)
    assert heard.changes == []
    assert len(store.activities()) == 2


def test_background_sync_carries_a_drop_by_without_anyone_calling_sync(relay, new_store):
    a, b = shared_practice(relay, new_store, "Live Practice")
    heard = Heard()
    subscription = b.subscribe(heard)
    live_a, live_b = a.start_live_sync(), b.start_live_sync()
    assert live_a.is_running() and live_b.is_running()
    a.log_drop_by(t.NewDropBy(organization="Lincoln", minutes=25, note="Met the nurse"))
    eventually(20, "the drop-by on Sam's phone", lambda: len(b.activities()) == 1)
    [seen] = b.activities()
    assert (seen.note, seen.logged_by) == ("Met the nurse", "Dana")
    eventually(5, "Sam's screen told", lambda: t.ChangeKind.ACTIVITIES in heard.kinds())
    assert t.SyncState.SYNCING() in heard.states
    eventually(5, "idle again", lambda: any(s.is_IDLE() for s in heard.states))
    live_a.close()
    live_b.close()
    assert not live_b.is_running()
    subscription.close()


def test_a_removed_clinician_gets_removed_and_ownership_moves_on(relay, new_store):
    a, b = shared_practice(relay, new_store, "Roster Practice")
    roster = asyncio.run(a.roster())
    assert {m.name for m in roster} == {"Dana", "Sam"}
    [dana] = [m for m in roster if m.name == "Dana"]
    assert dana.role == t.Role.OWNER and dana.devices[0].this_device

    with pytest.raises(t.TrellisError.NotAuthorized):
        asyncio.run(b.remove_member("Dana"))
    asyncio.run(a.remove_member("Sam"))
    with pytest.raises(t.TrellisError.Removed) as removed:
        asyncio.run(b.sync())
    assert removed.value.reason
    assert b.workspaces() == []
    assert [m.removed for m in asyncio.run(a.roster()) if m.name == "Sam"] == [True]

    c = new_store("roster-alex")
    code = asyncio.run(a.create_invite(t.Role.ADMIN, False))
    c.init("Alex")
    join(a, c, code)
    asyncio.run(a.sync())
    asyncio.run(a.transfer_ownership("Alex"))
    assert a.workspaces()[0].role == t.Role.ADMIN
    asyncio.run(a.leave())
    assert a.workspaces() == []


def devices_of(store, name):
    """The devices of the member called `name` in `store`'s roster (fetched from the relay)."""
    return [d for m in asyncio.run(store.roster()) if m.name == name for d in m.devices]


def test_two_devices_compare_fingerprints_and_one_records_the_other_as_verified(relay, new_store):
    a, b = shared_practice(relay, new_store, "Fingerprint Practice")
    danas, sams = a.fingerprint(), b.fingerprint()
    assert re.fullmatch(r"\d{5} \d{5} \d{5} \d{5}", danas), danas
    assert danas != sams

    # Each phone's roster shows its own fingerprint as the phone shows it, and the other's.
    for store, me, mine, colleague, theirs in ((a, "Dana", danas, "Sam", sams),
                                              (b, "Sam", sams, "Dana", danas)):
        [own] = devices_of(store, me)
        assert (own.this_device, own.fingerprint, own.verified) == (True, mine, False)
        [other] = devices_of(store, colleague)
        assert (other.this_device, other.fingerprint, other.verified) == (False, theirs, False)

    # Dana reads Sam's fingerprint off his phone and mistypes one digit: refused, nothing kept.
    wrong = sams[:-1] + str((int(sams[-1]) + 1) % 10)
    with pytest.raises(t.TrellisError.Conflict) as refused:
        a.verify_member("Sam", wrong)
    assert "fingerprint" in refused.value.reason
    with pytest.raises(t.TrellisError.InvalidInput):
        a.verify_member("Sam", "12345 67890")  # not 20 digits
    assert [d.verified for d in devices_of(a, "Sam")] == [False]

    # Typed again, as read aloud (no spaces): Sam's device is verified on Dana's phone only.
    sam = a.verify_member("Sam", sams.replace(" ", ""))
    assert (sam.name, [d.verified for d in sam.devices], sam.unverified_device) == ("Sam", [True], False)
    assert [d.verified for d in devices_of(a, "Sam")] == [True]
    assert [d.verified for d in devices_of(b, "Dana")] == [False]

    # Sam adds a tablet: on Dana's phone he is flagged, the new device not verified.
    tablet = new_store("fingerprint-sam-tablet")
    tablet.init("Sam")
    join(b, tablet, asyncio.run(b.create_invite(t.Role.MEMBER, True)))
    [flagged] = [m for m in asyncio.run(a.roster()) if m.name == "Sam"]
    assert flagged.unverified_device
    assert sorted(d.verified for d in flagged.devices) == [False, True]
    assert tablet.fingerprint() in {d.fingerprint for d in flagged.devices if not d.verified}

    status = a.status()
    assert (status.roster_problem, status.roster_refused, status.set_aside) == (None, 0, 0)


class Progress(t.ImportProgress):
    def __init__(self):
        self.seen = []

    def progress(self, done, total):
        self.seen.append((done, total))


def test_a_spreadsheet_is_imported_once_with_progress_and_exported(therapist):
    store = therapist("Dana")
    csv = ("name,organization,category,emails\n"
           "Priya Shah,Lincoln Middle School,school-counselor,priya@lincoln.example\n"
           "Dr. Okafor,Elm Pediatrics,pediatrician,okafor@elm.example\n"
           "No Email,,,not-an-email\n")
    progress = Progress()
    report = store.import_csv(csv, progress)
    assert (report.added, report.organizations_added) == (2, 2)
    assert [s.line_or_card for s in report.skipped] == [4]
    assert progress.seen[-1] == (3, 3)
    assert store.import_csv(csv).added == 0
    assert "FN:Priya Shah" in store.export_vcard()
    assert store.export_ics().startswith("BEGIN:VCALENDAR")
    with pytest.raises(t.TrellisError.InvalidInput):
        store.import_vcard("hello")

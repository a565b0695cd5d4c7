"""Live updates, membership and import/export through the generated Python bindings.

A screen's listener hears a drop-by and stops hearing once its handle is closed; two phones
with background sync exchange a visit through a relay process without calling sync(); a removed
clinician's phone gets the typed Removed error; the roster, a transfer of ownership and leaving;
a CSV import with progress, and the exports.
"""
import asyncio
import threading
import time

import pytest

import trellis_ffi as t
from conftest import SIGNUP_SECRET


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
    asyncio.run(b.join(code))
    asyncio.run(b.sync())  # pushes Sam's introduction to the practice
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
    asyncio.run(c.join(code))
    asyncio.run(c.sync())
    asyncio.run(a.sync())
    asyncio.run(a.transfer_ownership("Alex"))
    assert a.workspaces()[0].role == t.Role.ADMIN
    asyncio.run(a.leave())
    assert a.workspaces() == []


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

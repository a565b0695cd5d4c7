"""Two clinicians' devices and a real relay process, through the generated Python bindings.

The async methods return awaitables; asyncio.run drives them (uniffi polls the Rust future on
its tokio runtime).
"""
import asyncio
import datetime
import re
import socket

import pytest

import trellis_ffi as t
from conftest import SIGNUP_SECRET, join


def test_an_unreachable_relay_is_a_network_error_and_the_practice_waits_once(new_store):
    with socket.socket() as s:  # a port that is free now: nobody listens on it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = new_store("offline")
    store.init("Dana")
    for _ in range(2):
        with pytest.raises(t.TrellisError.Network) as e:
            asyncio.run(store.create_shared_workspace("Maple", f"http://127.0.0.1:{port}", "s"))
        assert "workspace connect" in str(e.value)
    # Tried twice: one practice, kept on the phone and not connected yet.
    kept = store.workspaces()
    assert [w.name for w in kept] == ["Maple"]
    assert kept[0].relay_url is None


def test_a_wrong_signup_secret_is_not_authorized(relay, new_store):
    store = new_store("intruder")
    store.init("Mallory")
    with pytest.raises(t.TrellisError.NotAuthorized):
        asyncio.run(store.create_shared_workspace("Not a practice", relay.url, "wrong-secret"))
    assert store.workspaces() == []


def test_a_drop_by_on_one_phone_reaches_the_other(relay, new_store):
    a, b = new_store("dana-phone"), new_store("sam-phone")
    a.init("Dana")
    ws = asyncio.run(a.create_shared_workspace("Maple Street Counseling", relay.url, SIGNUP_SECRET))
    assert (ws.relay_url, ws.role) == (relay.url, t.Role.OWNER)
    a.add_org(t.NewOrg(name="Lincoln Middle School", kind=t.OrgKind.SCHOOL))
    code = asyncio.run(a.create_invite(t.Role.MEMBER, False))

    b.init("Sam")
    # The code holds no key: Sam's phone is admitted and waits for one of the practice's
    # devices to let it in. Until then nothing of the practice opens.
    joined = asyncio.run(b.join(code))
    assert (joined.id, joined.role, joined.name) == (ws.id, t.Role.MEMBER, "")
    assert joined.awaiting_keys
    assert b.workspaces() == [joined]
    with pytest.raises(t.TrellisError.AwaitingKeys):
        asyncio.run(b.sync())
    with pytest.raises(t.TrellisError.AwaitingKeys):
        b.activities()

    # Dana's next sync hands the practice's keys to Sam's phone and pushes the visit; Sam's
    # next takes the keys and pulls it.
    visit = a.log_drop_by(t.NewDropBy(
        organization="Lincoln", minutes=30, note="Met the new principal",
        left_behind=[t.LeftBehind(item="cards", qty=5)]))
    pushed = asyncio.run(a.sync())
    assert pushed.keys_granted == 1, pushed
    assert pushed.pushed > 0 and a.status().pending_changes == 0
    pulled = asyncio.run(b.sync())
    assert pulled.pulled > 0 and pulled.keys_granted == 0
    [practice] = b.workspaces()
    assert (practice.name, practice.awaiting_keys) == ("Maple Street Counseling", False)
    assert asyncio.run(a.sync()).keys_granted == 0  # once is enough

    [seen] = b.activities()
    assert seen.id == visit.id
    assert seen.organization == "Lincoln Middle School"
    assert seen.note == "Met the new principal"
    assert seen.left_behind == [t.LeftBehind(item="cards", qty=5)]
    assert seen.logged_by == "Dana"
    assert b.status().last_sync_at is not None

    b.log_drop_by(t.NewDropBy(organization="Lincoln", minutes=10))
    asyncio.run(b.sync())
    asyncio.run(a.sync())
    assert {x.logged_by for x in a.activities()} == {"Dana", "Sam"}


def test_an_invite_works_once_and_an_open_one_is_cancelled_so_its_code_lets_nobody_in(relay, new_store):
    a, b, c = new_store("owner"), new_store("first"), new_store("second")
    a.init("Dana")
    asyncio.run(a.create_shared_workspace("Elm Therapy", relay.url, SIGNUP_SECRET))
    code = asyncio.run(a.create_invite(t.Role.MEMBER, False))
    b.init("Sam")
    join(a, b, code)
    c.init("Alex")
    with pytest.raises(t.TrellisError.Relay) as e:
        asyncio.run(c.join(code))
    assert (e.value.status, e.value.code) == (410, "gone"), e.value.reason
    assert c.workspaces() == []
    assert [w.name for w in b.workspaces()] == ["Elm Therapy"]

    # Dana invites an admin; the code goes astray. She finds it among the open invites (Sam's,
    # used, is not there) and cancels it by an id prefix.
    assert asyncio.run(a.invites()) == []
    astray = asyncio.run(a.create_invite(t.Role.ADMIN, False))
    [open_invite] = asyncio.run(a.invites())
    assert (open_invite.role, open_invite.device, open_invite.made_here, open_invite.invited_by) == (
        t.Role.ADMIN, False, True, "Dana")
    assert re.fullmatch(r"[0-9a-f]{32}", open_invite.invite_id), open_invite.invite_id
    expires = datetime.datetime.fromisoformat(open_invite.expires_at.replace("Z", "+00:00"))
    assert expires > datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=71)
    # Sam's phone sees it too, and may not cancel what Dana made.
    [seen] = asyncio.run(b.invites())
    assert (seen.invite_id, seen.made_here) == (open_invite.invite_id, False)
    with pytest.raises(t.TrellisError):
        asyncio.run(b.cancel_invite(open_invite.invite_id))
    assert asyncio.run(a.cancel_invite(open_invite.invite_id[:8])) == open_invite
    assert asyncio.run(a.invites()) == []
    with pytest.raises(t.TrellisError.NotFound):
        asyncio.run(a.cancel_invite(open_invite.invite_id))
    with pytest.raises(t.TrellisError.Relay) as refused:
        asyncio.run(c.join(astray))
    assert refused.value.status == 410, refused.value.reason
    assert c.workspaces() == []
    assert len(asyncio.run(a.roster())) == 2  # Dana and Sam: nobody else got in


def test_two_phones_using_the_same_brochures_offline_add_up_after_sync(relay, new_store):
    a, b = new_store("dana-phone"), new_store("sam-phone")
    a.init("Dana")
    asyncio.run(a.create_shared_workspace("Maple Street Counseling", relay.url, SIGNUP_SECRET))
    a.add_org(t.NewOrg(name="Lincoln Middle School", kind=t.OrgKind.SCHOOL))
    a.restock("Brochures", 20)
    code = asyncio.run(a.create_invite(t.Role.MEMBER, False))
    b.init("Sam")
    join(a, b, code)
    assert [(s.item, s.stock) for s in b.stock()] == [("brochures", 20)]

    # Offline on both phones: Dana leaves 3; Sam restocks 10 and leaves 5.
    a.log_drop_by(t.NewDropBy(organization="Lincoln", minutes=15,
                              left_behind=[t.LeftBehind(item="brochures", qty=3)]))
    b.restock("brochures", 10)
    b.log_drop_by(t.NewDropBy(organization="Lincoln", minutes=10,
                              left_behind=[t.LeftBehind(item="Brochures", qty=5)]))
    assert [s.stock for s in a.stock()] == [17]
    assert [s.stock for s in b.stock()] == [25]

    asyncio.run(a.sync())
    asyncio.run(b.sync())
    asyncio.run(a.sync())
    for phone in (a, b):
        [brochures] = phone.stock()
        assert (brochures.name, brochures.stock) == ("Brochures", 20 - 3 + 10 - 5)
        assert [(u.name, u.stock, u.used) for u in phone.stock_report()] == [("Brochures", 22, 8)]
        assert len(phone.followups(t.FollowUpFilter.OPEN)) == 2  # one thank-you per visit


class Gateway:
    """A gateway between a phone and the relay that forwards every request, except that the
    relay's answer to the next request whose path contains `lose` is lost: the relay acts on it
    and the phone hears a 502, as when the app is killed. The answer to the next request whose
    path contains `hold` is held back (`held` is set once the relay has acted) until `release`
    is set, so the phone can give up waiting half-way."""

    def __init__(self, relay_url):
        import http.server
        import threading
        import urllib.error
        import urllib.request

        self.lose = None
        self.lost = threading.Event()
        self.hold = None
        self.held = threading.Event()
        self.release = threading.Event()
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def forward(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                request = urllib.request.Request(relay_url + self.path, data=body, headers=headers, method=self.command)
                try:
                    with urllib.request.urlopen(request) as answer:
                        status, answer_headers, answer_body = answer.status, answer.headers, answer.read()
                except urllib.error.HTTPError as e:
                    status, answer_headers, answer_body = e.code, e.headers, e.read()
                if gateway.lose and gateway.lose in self.path:
                    gateway.lose = None
                    gateway.lost.set()
                    status, answer_headers, answer_body = 502, {}, b"the relay's answer was lost"
                if gateway.hold and gateway.hold in self.path:
                    gateway.hold = None
                    gateway.held.set()
                    gateway.release.wait(30)
                self.send_response(status)
                for k, v in dict(answer_headers).items():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.send_header("content-length", str(len(answer_body)))
                self.end_headers()
                self.wfile.write(answer_body)

            do_GET = do_POST = do_DELETE = do_PUT = forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def practice_and_sams_phone(relay, new_store, label):
    """Dana's practice on the relay with a school, an invite for Sam, Sam's phone set up, and a
    gateway between Sam's phone and the relay."""
    a, b = new_store(f"dana-{label}"), new_store(f"sam-{label}")
    a.init("Dana")
    asyncio.run(a.create_shared_workspace("Maple Street Counseling", relay.url, SIGNUP_SECRET))
    a.add_org(t.NewOrg(name="Lincoln Middle School", kind=t.OrgKind.SCHOOL))
    asyncio.run(a.sync())
    code = asyncio.run(a.create_invite(t.Role.MEMBER, False))
    b.init("Sam")
    return a, b, code, Gateway(relay.url)


def joins_once_with_the_same_code(a, b, code, gate):
    """Sam's phone, after a join that did not finish, holds nothing; the same code again
    joins him once (the invite was not burnt) and he sees the practice."""
    assert b.workspaces() == []
    ws = join(a, b, code, gate.url)
    assert (ws.role, ws.name) == (t.Role.MEMBER, "Maple Street Counseling")
    assert [o.name for o in b.organizations()] == ["Lincoln Middle School"]
    asyncio.run(a.sync())
    sams = [m for m in asyncio.run(a.roster()) if m.name == "Sam"]
    assert len(sams) == 1 and len(sams[0].devices) == 1


def test_a_join_whose_answer_was_lost_is_tried_again_with_the_same_code(relay, new_store):
    a, b, code, gate = practice_and_sams_phone(relay, new_store, "lost")
    try:
        gate.lose = "/invites/redeem"
        with pytest.raises(t.TrellisError):
            asyncio.run(b.join(code, gate.url))
        assert gate.lost.is_set(), "the relay redeemed the invite; its answer was lost"
        joins_once_with_the_same_code(a, b, code, gate)
    finally:
        gate.close()


def test_a_join_cancelled_half_way_is_tried_again_with_the_same_code(relay, new_store):
    a, b, code, gate = practice_and_sams_phone(relay, new_store, "cancel")
    try:
        gate.hold = "/invites/redeem"

        async def join_then_give_up():
            # Sam taps "Join", then leaves the screen while the answer is on its way: the app
            # cancels the call after the relay has redeemed the invite.
            joining = asyncio.ensure_future(b.join(code, gate.url))
            await asyncio.to_thread(gate.held.wait, 30)
            joining.cancel()
            with pytest.raises(asyncio.CancelledError):
                await joining

        asyncio.run(join_then_give_up())
        assert gate.held.is_set(), "the relay redeemed the invite before the join was cancelled"
        gate.release.set()
        joins_once_with_the_same_code(a, b, code, gate)
    finally:
        gate.release.set()
        gate.close()

"""Two clinicians' devices and a real relay process, through the generated Python bindings.

The async methods return awaitables; asyncio.run drives them (uniffi polls the Rust future on
its tokio runtime).
"""
import asyncio
import socket

import pytest

import trellis_ffi as t
from conftest import SIGNUP_SECRET


def test_an_unreachable_relay_is_a_network_error_and_stores_nothing(new_store):
    with socket.socket() as s:  # a port that is free now: nobody listens on it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = new_store("offline")
    store.init("Dana")
    with pytest.raises(t.TrellisError.Network):
        asyncio.run(store.create_shared_workspace("Maple", f"http://127.0.0.1:{port}", "s"))
    assert store.workspaces() == []


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
    joined = asyncio.run(b.join(code))
    assert (joined.id, joined.role, joined.name) == (ws.id, t.Role.MEMBER, "Maple Street Counseling")

    visit = a.log_drop_by(t.NewDropBy(
        organization="Lincoln", minutes=30, note="Met the new principal",
        left_behind=[t.LeftBehind(item="cards", qty=5)]))
    pushed = asyncio.run(a.sync())
    assert pushed.pushed > 0 and a.status().pending_changes == 0
    assert b.activities() == []
    pulled = asyncio.run(b.sync())
    assert pulled.pulled > 0

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


def test_an_invite_works_once(relay, new_store):
    a, b, c = new_store("owner"), new_store("first"), new_store("second")
    a.init("Dana")
    asyncio.run(a.create_shared_workspace("Elm Therapy", relay.url, SIGNUP_SECRET))
    code = asyncio.run(a.create_invite(t.Role.MEMBER, False))
    b.init("Sam")
    asyncio.run(b.join(code))
    c.init("Alex")
    with pytest.raises(t.TrellisError.Relay) as e:
        asyncio.run(c.join(code))
    assert (e.value.status, e.value.code) == (410, "gone"), e.value.reason
    assert c.workspaces() == []


def test_two_phones_using_the_same_brochures_offline_add_up_after_sync(relay, new_store):
    a, b = new_store("dana-phone"), new_store("sam-phone")
    a.init("Dana")
    asyncio.run(a.create_shared_workspace("Maple Street Counseling", relay.url, SIGNUP_SECRET))
    a.add_org(t.NewOrg(name="Lincoln Middle School", kind=t.OrgKind.SCHOOL))
    a.restock("Brochures", 20)
    code = asyncio.run(a.create_invite(t.Role.MEMBER, False))
    b.init("Sam")
    asyncio.run(b.join(code))
    asyncio.run(a.sync())
    asyncio.run(b.sync())
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

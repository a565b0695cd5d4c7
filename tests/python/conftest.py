"""Fixtures for the Python stories: fresh stores and a real relay process.

Run with PYTHONPATH pointing at the folder holding the generated trellis_ffi.py and
libtrellis_ffi.so (scripts/bindings.sh does this).
"""
import asyncio
import os
import pathlib
import queue
import re
import subprocess
import threading

import pytest

import trellis_ffi as t

ROOT = pathlib.Path(__file__).resolve().parents[2]
SIGNUP_SECRET = "python-bindings-test-secret"


@pytest.fixture
def new_store(tmp_path):
    """Opens a fresh store in its own folder, as a new phone would have; closes them all."""
    opened = []

    def make(label):
        store = t.TrellisStore.open(str(tmp_path / label / "trellis.sqlite3"))
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def join(inviter, joiner, code, relay_override=None):
    """`joiner` joins with `code` and waits for its keys (no name yet; its sync raises
    AwaitingKeys); the inviter's device syncs and hands the practice's keys to the joiner's
    device (one device let in); the joiner's syncs, takes them and pushes its introduction, and
    lists the practice by name. Returns the practice as the joiner lists it then."""
    waiting = asyncio.run(joiner.join(code, relay_override))
    assert waiting.awaiting_keys and waiting.name == "", waiting
    with pytest.raises(t.TrellisError.AwaitingKeys):
        asyncio.run(joiner.sync())
    assert asyncio.run(inviter.sync()).keys_granted == 1
    asyncio.run(joiner.sync())
    [joined] = [w for w in joiner.workspaces() if w.id == waiting.id]
    assert not joined.awaiting_keys and joined.current, joined
    [theirs] = [w for w in inviter.workspaces() if w.id == waiting.id]
    assert joined.name == theirs.name
    return joined


@pytest.fixture
def therapist(new_store):
    """A device set up for a user, with a local workspace."""

    def make(user):
        store = new_store(user)
        store.init(user)
        store.create_workspace("Maple Street Counseling")
        return store

    return make


class Relay:
    def __init__(self, url, process):
        self.url = url
        self.process = process


@pytest.fixture(scope="module")
def relay(tmp_path_factory):
    """A trellis-relay on a free loopback port with a fresh data directory; stopped after."""
    binary = pathlib.Path(os.environ.get("TRELLIS_RELAY", ROOT / "target/debug/trellis-relay"))
    assert os.access(binary, os.X_OK), f"no relay binary at {binary}: cargo build -p trellis-relay"
    data = tmp_path_factory.mktemp("relay-data")
    log = open(data.parent / f"{data.name}.log", "w")
    proc = subprocess.Popen(
        [str(binary), "--listen", "127.0.0.1:0", "--data", str(data),
         "--signup-secret", SIGNUP_SECRET],
        stdout=subprocess.PIPE, stderr=log, text=True,
    )
    lines = queue.Queue()

    def drain():  # keep reading so the relay never blocks on a full pipe
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=drain, daemon=True).start()
    url = None
    try:
        while url is None:
            line = lines.get(timeout=30)
            if line is None:
                break
            m = re.search(r"listening on (http://\S+)", line)
            url = m.group(1) if m else None
    except queue.Empty:
        pass
    if url is None:
        proc.kill()
        proc.wait()
        log.close()
        pytest.fail("the relay did not report its address:\n"
                    + (data.parent / f"{data.name}.log").read_text())
    yield Relay(url, proc)
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()

// The dedicated worker that holds the durable store (OPFS sync access handles exist only in a
// worker) and keeps it in sync. The page sends {id, op, args, write}: op "open" opens the store
// named args[0]; "syncNow" syncs at once; "syncState" answers what the "status" event carries; any other op calls that method of the store (awaiting
// a promise). It answers {id, result} or {id, error: {code, message}}. It also posts events:
// {event: "status", data} whenever the sync state may have changed, and {event: "changed"} when
// a sync brought changes from colleagues, handed the practice's keys to a device that joined,
// or finished this device's own join (the page reloads what it shows).
//
// As the store's host it runs the background steps after every call, syncs a moment after a
// write, when the relay's live socket announces a colleague's change, every half minute while
// that socket is closed, and at once when the browser says it is back online. A join waiting
// for its keys (no practice, no live socket yet) is tried again every few seconds, then less
// often; for ten minutes after this device made an invite it syncs every few seconds, so the
// colleague who joins with it gets the keys soon (the relay's live socket says nothing of a
// join). One tab
// of an origin holds the store (a Web Lock): "open" with args[1] false fails with code "busy"
// when another tab has it, and with args[1] true waits until that tab closes.
import init, { TrellisStore } from './pkg/trellis_web.js';

const ready = init();
const SOON_MS = 800;
const EVERY_MS = 30_000;
// With the live socket open, the relay says when there is something to pull.
const EVERY_LIVE_MS = 300_000;
const RETRY_OFFLINE_MS = 10_000;
const LIVE_RETRY_MAX_MS = 60_000;
// A join waiting for its keys: tried again after 3 s, then half as long again each time, up to
// every half minute.
const AWAIT_FIRST_MS = 3_000;
// After this device made an invite: a sync every 5 s for 10 minutes, or until a sync hands the
// keys to a device that joined.
const WATCH_MS = 5_000;
const WATCH_FOR_MS = 600_000;

let store = null;
let backgroundTimer = null;
let syncTimer = null;
let syncing = null;
// What the page shows: whether the relay answered last time, an error other than "offline",
// whether a sync is running now, whether the live socket is open, and when this device last
// asked whether its join was let in.
const state = { online: true, syncing: false, error: null, live: false, checked_at: null };
let awaitDelay = AWAIT_FIRST_MS;
let watchUntil = 0;
let live = null;
let liveRetry = null;
let liveBackoff = 1000;

/// Opens the relay's live socket of the current workspace (when it has a relay and none is
/// open): the relay sends the newest seq of the practice's log at once and after every push,
/// and a head past this device's cursor means a sync. A closed socket is opened again after a
/// backoff; one closed because this device was revoked is not (the sync then says so).
function connectLive() {
  clearTimeout(liveRetry);
  if (!store || live) return;
  let endpoint;
  try {
    endpoint = store.liveEndpoint();
  } catch {
    return; // kept on this device only, or no workspace yet
  }
  const socket = new WebSocket(endpoint.url, endpoint.protocols);
  live = socket;
  socket.onopen = () => {
    liveBackoff = 1000;
    state.live = true;
    announce();
    schedule(EVERY_LIVE_MS);
  };
  socket.onmessage = ({ data }) => {
    try {
      const { head } = JSON.parse(data);
      if (head > store.status().cursor) sync().catch(() => {});
    } catch {
      // Not a head: ignored, as the relay ignores what a device sends.
    }
  };
  socket.onclose = ({ code }) => {
    if (live !== socket) return;
    live = null;
    state.live = false;
    announce();
    if (code === 4001) {
      sync().catch(() => {});
      return;
    }
    liveRetry = setTimeout(connectLive, liveBackoff);
    liveBackoff = Math.min(liveBackoff * 2, LIVE_RETRY_MAX_MS);
  };
}

function closeLive() {
  const socket = live;
  live = null;
  state.live = false;
  socket?.close();
}

function background() {
  clearTimeout(backgroundTimer);
  if (!store) return;
  const wait = store.runBackground();
  if (wait !== undefined) backgroundTimer = setTimeout(background, wait);
}

/// Whether the current workspace syncs with a relay: one connected to it, or a join waiting for
/// its keys (its sync asks for them).
function connected() {
  try {
    return Boolean(store?.status().relay_url);
  } catch (e) {
    return e.code === 'awaiting_keys';
  }
}

/// Whether the current workspace is a join waiting for its keys.
function awaitingKeys() {
  try {
    store?.status();
    return false;
  } catch (e) {
    return e.code === 'awaiting_keys';
  }
}

/// The sync state the page shows: {online, syncing, error, live, checked_at, awaiting_keys,
/// status} (status is the store's, or null before there is a workspace and while a join waits
/// for its keys, when awaiting_keys is true).
function syncState() {
  let status = null;
  try {
    status = store ? store.status() : null;
  } catch {
    // No workspace yet (nothing to sync), or a join waiting for its keys.
  }
  return { ...state, online: state.online && navigator.onLine, status, awaiting_keys: !status && awaitingKeys() };
}

function announce() {
  self.postMessage({ event: 'status', data: syncState() });
}

function schedule(ms) {
  clearTimeout(syncTimer);
  if (!connected()) return;
  syncTimer = setTimeout(() => sync().catch(() => {}), ms);
}

/// One sync at a time; a second request while one runs waits for it.
function sync() {
  if (syncing) return syncing;
  syncing = (async () => {
    state.syncing = true;
    announce();
    let awaiting = false;
    try {
      const joining = awaitingKeys();
      const report = await store.sync();
      state.online = true;
      state.error = null;
      state.checked_at = null;
      awaitDelay = AWAIT_FIRST_MS;
      if (report.keys_granted > 0) watchUntil = 0;
      if (report.pulled > 0 || report.keys_granted > 0 || joining) self.postMessage({ event: 'changed' });
      return report;
    } catch (e) {
      if (e.code === 'network') state.online = false;
      else if (e.code === 'awaiting_keys') {
        // Not a failure: no device of the practice has let this one in yet.
        awaiting = true;
        state.online = true;
        state.error = null;
        state.checked_at = new Date().toISOString();
      } else state.error = { code: e.code, message: String(e.message ?? e) };
      throw e;
    } finally {
      state.syncing = false;
      syncing = null;
      background();
      announce();
      // A write made while this sync ran is pushed soon, not at the next tick of the timer.
      let waiting = 0;
      try {
        waiting = store.status().pending_changes;
      } catch {
        // No workspace any more (left, or removed): nothing waits.
      }
      const next = !state.online
        ? RETRY_OFFLINE_MS
        : awaiting
          ? awaitDelay
          : state.error
            ? EVERY_MS
            : waiting > 0
              ? SOON_MS
              : Date.now() < watchUntil
                ? WATCH_MS
                : state.live
                  ? EVERY_LIVE_MS
                  : EVERY_MS;
      if (awaiting) awaitDelay = Math.min(awaitDelay * 1.5, EVERY_MS);
      schedule(next);
      if (state.online) connectLive();
    }
  })();
  return syncing;
}

/// Takes the origin's store lock and holds it for as long as this worker lives. With `wait`,
/// resolves once the lock is free (the tab holding it closed); without, resolves false at once
/// if another tab has it.
function holdLock(wait) {
  if (!navigator.locks) return Promise.resolve(true);
  return new Promise((resolve) => {
    navigator.locks.request('trellis-store', { ifAvailable: !wait }, (lock) => {
      resolve(lock !== null);
      // Never settles while this worker lives: the lock goes with it.
      return lock ? new Promise(() => {}) : undefined;
    });
  });
}

self.addEventListener('online', () => {
  announce();
  schedule(0);
  connectLive();
});
self.addEventListener('offline', announce);

self.onmessage = async ({ data: { id, op, args, write } }) => {
  try {
    await ready;
    let result = null;
    if (op === 'open') {
      if (!(await holdLock(args[1] === true))) {
        throw { code: 'busy', message: 'Trellis is open in another tab, which holds the store.' };
      }
      store = await TrellisStore.openDurable(args[0]);
      schedule(0);
    } else if (op === 'syncState') {
      result = syncState();
    } else if (op === 'syncNow') {
      result = await sync();
    } else if (op === 'choices') {
      result = TrellisStore.choices();
    } else {
      // Another workspace, or one just joined: its own socket.
      if (op === 'useWorkspace' || op === 'join') closeLive();
      result = await store[op](...args);
      if (op === 'join') {
        // A new join waits for its keys: tried again soon, then less often.
        awaitDelay = AWAIT_FIRST_MS;
        state.checked_at = null;
      }
      if (op === 'createInvite') watchUntil = Date.now() + WATCH_FOR_MS;
      if (write) schedule(SOON_MS);
    }
    // The answer first: the background steps and the status wait for it, not it for them.
    self.postMessage({ id, result });
    background();
    if (write || op === 'open') announce();
  } catch (e) {
    self.postMessage({ id, error: { code: e.code, message: String(e.message ?? e) } });
  }
};

// The page's side of the store. One tab of the origin holds the store: its dedicated worker
// (www/worker.js) has the origin's Web Lock and the OPFS files. Every other tab is a follower:
// it sends its calls to the holding tab over a BroadcastChannel, gets the holder's events the
// same way, and its own worker waits for the lock, so that when the holding tab closes, one
// follower opens the store and holds it from then on.
//
// `call` sends a read, `write` a change (after which the holder's worker syncs soon), and `on`
// listens to the events ("status", "changed"). Errors reject as {code, message}.

const TAB = crypto.randomUUID();
const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('trellis-store');
const listeners = { status: new Set(), changed: new Set() };
let worker = null;
let holder = false;
let next = 0;
const waiting = new Map(); // this tab's calls to its own worker
const remote = new Map(); // this tab's calls to the holding tab

/// Starts the worker and opens the store named `name`, or follows the tab that holds it;
/// rejects with the worker's error when neither works.
export async function openStore(name) {
  worker = new Worker('./worker.js', { type: 'module' });
  worker.onmessage = ({ data }) => {
    if (data.event) {
      emit(data.event, data.data);
      channel?.postMessage({ type: 'event', event: data.event, data: data.data });
      return;
    }
    const { resolve, reject } = waiting.get(data.id);
    waiting.delete(data.id);
    data.error ? reject(data.error) : resolve(data.result);
  };
  worker.onerror = (e) => {
    for (const { reject } of waiting.values()) reject({ code: 'storage', message: e.message ?? 'The app could not start.' });
    waiting.clear();
  };
  try {
    await local('open', [name, false], false);
    holder = true;
  } catch (e) {
    if (e.code !== 'busy' || !channel) throw e;
    // Another tab holds the store: follow it, and take over when it closes.
    local('open', [name, true], false).then(takeOver, () => {});
  }
}

/// This tab's worker got the store: it holds it from now on. Reads the old holder left
/// unanswered run here; a change is not sent again (the old holder may have made it before it
/// closed), it fails with a sentence saying to check and try again.
function takeOver() {
  holder = true;
  for (const { op, args, write, resolve, reject } of remote.values()) {
    if (write) reject({ code: 'busy', message: 'The tab that held Trellis closed meanwhile: check whether this was saved, and try again if not.' });
    else local(op, args, false).then(resolve, reject);
  }
  remote.clear();
  emit('changed');
}

function emit(event, data) {
  for (const fn of listeners[event] ?? []) fn(data);
}

function local(op, args, write) {
  return new Promise((resolve, reject) => {
    waiting.set(++next, { resolve, reject });
    worker.postMessage({ id: next, op, args, write });
  });
}

function send(op, args, write) {
  if (holder) {
    const answer = local(op, args, write);
    // Other tabs show the change too.
    if (write) answer.then(() => channel?.postMessage({ type: 'event', event: 'changed' }), () => {});
    return answer;
  }
  return new Promise((resolve, reject) => {
    remote.set(++next, { op, args, write, resolve, reject });
    channel.postMessage({ type: 'call', from: TAB, id: next, op, args, write });
  });
}

channel?.addEventListener('message', ({ data }) => {
  if (data.type === 'call' && holder) {
    // A follower's call, run on this tab's worker; a change shows here as well.
    local(data.op, data.args, data.write).then(
      (result) => {
        channel.postMessage({ type: 'answer', to: data.from, id: data.id, result });
        if (data.write) {
          emit('changed');
          channel.postMessage({ type: 'event', event: 'changed' });
        }
      },
      (error) => channel.postMessage({ type: 'answer', to: data.from, id: data.id, error }),
    );
  } else if (data.type === 'answer' && data.to === TAB && remote.has(data.id)) {
    const { resolve, reject } = remote.get(data.id);
    remote.delete(data.id);
    data.error ? reject(data.error) : resolve(data.result);
  } else if (data.type === 'event' && !holder) {
    emit(data.event, data.data);
  }
});

/// A read of the store: `call('contacts')`, `call('contact', id)`.
export const call = (op, ...args) => send(op, args, false);

/// A change to the store; the holder's worker syncs it a moment later.
export const write = (op, ...args) => send(op, args, true);

/// Listens to the store's `status` or `changed` events; returns the function that stops.
export function on(event, fn) {
  listeners[event].add(fn);
  return () => listeners[event].delete(fn);
}

// The page's side of the store: one dedicated worker (www/worker.js) holds the durable store;
// `call` sends it a read, `write` a change (after which the worker syncs soon), and `on`
// listens to its events ("status", "changed"). Errors reject as {code, message}.

let worker = null;
const waiting = new Map();
const listeners = { status: new Set(), changed: new Set() };
let next = 0;

/// Starts the worker and opens the store named `name`; rejects with the worker's error.
export function openStore(name) {
  worker = new Worker('./worker.js', { type: 'module' });
  worker.onmessage = ({ data }) => {
    if (data.event) {
      for (const fn of listeners[data.event] ?? []) fn(data.data);
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
  return send('open', [name], false);
}

function send(op, args, write) {
  return new Promise((resolve, reject) => {
    waiting.set(++next, { resolve, reject });
    worker.postMessage({ id: next, op, args, write });
  });
}

/// A read of the store: `call('contacts')`, `call('contact', id)`.
export const call = (op, ...args) => send(op, args, false);

/// A change to the store; the worker syncs it a moment later.
export const write = (op, ...args) => send(op, args, true);

/// Listens to the worker's `status` or `changed` events; returns the function that stops.
export function on(event, fn) {
  listeners[event].add(fn);
  return () => listeners[event].delete(fn);
}

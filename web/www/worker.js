// The dedicated worker that holds a durable store (OPFS sync access handles exist only in a
// worker). The page sends {id, op, args}: op "open" opens the store named args[0] with
// TrellisStore.openDurable; any other op calls that method of the store (awaiting a promise).
// It answers {id, result} or {id, error: {code, message}}, and runs the store's background
// steps itself after every call, as its host.
import init, { TrellisStore } from './pkg/trellis_web.js';

const ready = init();
let store = null;
let timer = null;

// The host of a store without threads: one background step now, the next when it says.
function background() {
  clearTimeout(timer);
  if (!store) return;
  const wait = store.runBackground();
  if (wait !== undefined) timer = setTimeout(background, wait);
}

self.onmessage = async ({ data: { id, op, args } }) => {
  try {
    await ready;
    let result = null;
    if (op === 'open') {
      store = await TrellisStore.openDurable(args[0]);
    } else {
      result = await store[op](...args);
    }
    background();
    self.postMessage({ id, result });
  } catch (e) {
    self.postMessage({ id, error: { code: e.code, message: String(e.message ?? e) } });
  }
};

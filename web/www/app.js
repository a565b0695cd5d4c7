// The page's script (a file of its own: the relay's Content-Security-Policy allows no inline
// script). It loads the wasm module wasm-bindgen made (the web build puts it under pkg/) and
// shows the hash of the build the relay serves. The story drives the module through
// window.trellis; the app's screens will sit here later.
import init, * as trellis from './pkg/trellis_web.js';

await init();
window.trellis = trellis;

// A durable store lives in a dedicated worker (worker.js); call(op, ...args) sends it one call
// and resolves to its answer, or rejects with {code, message}.
window.openWorker = () => {
  const worker = new Worker('./worker.js', { type: 'module' });
  const waiting = new Map();
  let next = 0;
  worker.onmessage = ({ data: { id, result, error } }) => {
    const { resolve, reject } = waiting.get(id);
    waiting.delete(id);
    error ? reject(error) : resolve(result);
  };
  return {
    call: (op, ...args) =>
      new Promise((resolve, reject) => {
        waiting.set(++next, { resolve, reject });
        worker.postMessage({ id: next, op, args });
      }),
    close: () => worker.terminate(),
  };
};

// The build line: what the relay says it serves (docs/WEB.md, "Trusting the relay with the
// app"). A relay that cannot say leaves "unknown"; the app works without it.
try {
  const answer = await fetch('/v1/app', { cache: 'no-store' });
  const { hash } = await answer.json();
  if (hash) document.getElementById('build-hash').textContent = hash;
} catch {
  // Offline or an older relay: the line stays "unknown".
}

document.getElementById('state').textContent = 'ready';

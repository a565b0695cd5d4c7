// A browser that joined a practice and waits for its keys: the code held none, so the device
// that made the invite (or an owner's or an admin's) hands them over when it next syncs. Until
// then nothing of the practice can be opened, not even its name. The store's worker asks again
// by itself (every few seconds, then less often) and "Sync now" on the sync line asks at once;
// when a sync finishes the join the app goes on to Today, and when the join ended otherwise
// (this device was revoked meanwhile) back to the setup screen. A reload comes back here: the
// store lists the pending join with `awaiting_keys`.

import { useEffect, useRef, useState } from 'preact/hooks';
import { call, on } from '../client.js';
import { Screen, useApp } from '../ui.jsx';

export function Waiting() {
  const { reload } = useApp();
  const [fingerprint, setFingerprint] = useState(null);
  const leaving = useRef(false);
  useEffect(() => {
    call('fingerprint').then(setFingerprint, () => {});
    return on('status', (s) => {
      if (s.awaiting_keys || leaving.current) return;
      leaving.current = true;
      reload();
    });
  }, []);

  return (
    <Screen title="Waiting for a colleague's device to let this one in">
      <p class="lead">
        This device has joined the practice, but it cannot open anything yet: the practice's keys, and with them its name and everything in it, come from
        a colleague's device.
      </p>
      <p>
        The device that made your invite hands them over the next time it syncs, or any owner's or admin's device does. Ask the colleague who invited you
        to open Trellis there (or, on a computer, to run <code>trellis sync</code>).
      </p>
      <p>
        This device asks by itself, every few seconds at first, and "Sync now" asks at once. Once the keys are here, the practice opens. You can close
        this page meanwhile: opened again, Trellis comes back here and asks again.
      </p>
      {fingerprint && (
        <section class="card" aria-labelledby="fingerprint-title">
          <h2 id="fingerprint-title">This device's fingerprint</h2>
          <p class="fingerprint own">{fingerprint}</p>
          <p class="muted">
            Your colleague can compare these digits, face to face, with what her Members screen shows for this device, and mark it verified.
          </p>
        </section>
      )}
    </Screen>
  );
}

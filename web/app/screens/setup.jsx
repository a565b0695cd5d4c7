// A browser in no practice yet: your name, then join a practice with an invite code (pasted,
// or read from its QR code with the camera where the browser can), or start one on this relay.
// A join waits for the practice's keys (the waiting screen, screens/waiting.jsx) until the
// inviting device, or an owner's or admin's, hands them over at its next sync.

import { useState } from 'preact/hooks';
import { call, write } from '../client.js';
import { ErrorLine, Field, useAction, useApp } from '../ui.jsx';
import { ScanButton } from './scan.jsx';

export function Setup() {
  const { me, reload } = useApp();
  const [name, setName] = useState(me?.name ?? '');
  const [code, setCode] = useState('');
  const [practice, setPractice] = useState('');
  const [secret, setSecret] = useState('');
  const [run, busy, error] = useAction();

  const ensureDevice = async () => {
    if (me) return;
    if (!name.trim()) throw { message: 'Write your name first: colleagues see it on what you log.' };
    await write('init', name.trim());
  };

  const join = (e) => {
    e.preventDefault();
    run(async () => {
      if (!code.trim()) throw { message: 'Paste the invite code a colleague sent you.' };
      await ensureDevice();
      // The relay that serves this app is the only one it may talk to.
      await write('join', code.trim(), location.origin);
      // Rejected with awaiting_keys unless a device of the practice let this one in already:
      // then the waiting screen, which the store's worker keeps asking for.
      await call('syncNow').catch(() => {});
      await reload();
    });
  };

  const start = (e) => {
    e.preventDefault();
    run(async () => {
      if (!practice.trim()) throw { message: 'Name the practice.' };
      await ensureDevice();
      if (secret.trim()) await write('createSharedWorkspace', practice.trim(), location.origin, secret.trim());
      else await write('createWorkspace', practice.trim());
      await reload();
    });
  };

  return (
    <section class="screen setup" aria-labelledby="screen-title">
      <h1 id="screen-title">Welcome to Trellis</h1>
      <p class="lead">Drop-bys, follow-ups and referrals for your practice, on this device first and end-to-end encrypted.</p>
      {!me && (
        <Field label="Your name" hint="Colleagues see it on what you log." value={name} autocomplete="name" onInput={(e) => setName(e.currentTarget.value)} />
      )}
      <form class="card" onSubmit={join}>
        <h2>Join your practice</h2>
        <Field
          label="Invite code"
          multiline
          rows={3}
          hint="From a colleague: paste it, or scan its QR code."
          autocomplete="off"
          spellcheck={false}
          value={code}
          onInput={(e) => setCode(e.currentTarget.value)}
        />
        <div class="row">
          <button type="submit" disabled={busy}>
            Join
          </button>
          <ScanButton onCode={setCode} />
        </div>
      </form>
      <form class="card" onSubmit={start}>
        <h2>Start a practice</h2>
        <Field label="Practice name" value={practice} onInput={(e) => setPractice(e.currentTarget.value)} />
        <Field
          label="Signup secret"
          type="password"
          autocomplete="off"
          hint="From whoever runs this relay. Leave it empty to keep the practice on this device only for now."
          value={secret}
          onInput={(e) => setSecret(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          Start practice
        </button>
      </form>
      <ErrorLine error={error} />
    </section>
  );
}

// Members and invites: the practice's signed roster as this device checked it (members, their
// devices, each device's fingerprint and whether this device verified it; each member's profile
// card a link away), this device's own fingerprint for a colleague to compare, a small form to
// record a colleague's fingerprint checked face to face, an invite for a colleague or for
// another device of mine (the code, a QR code and the share sheet), the open invites (every one
// for owners and admins, those made on this device for a member) each with "Cancel", and for
// owners and admins revoking a device or removing a member. A code holds no key: this device
// (or an owner's or admin's) hands the practice's keys to the device that joined with it at its
// next sync, which the store's worker makes every few seconds for a while after an invite.

import { useState } from 'preact/hooks';
import { call, write } from '../client.js';
import { day, label, when } from '../format.js';
import { ErrorLine, Field, QrCode, Screen, Select, useAction, useApp, useData } from '../ui.jsx';

export function Members() {
  const { workspace } = useApp();
  const connected = Boolean(workspace.relay_url);
  const [roster, error, reload] = useData(() => (connected ? call('roster') : Promise.resolve([])));
  const [mine] = useData(() => (connected ? call('fingerprint') : Promise.resolve(null)));
  const [invites, invitesError, reloadInvites] = useData(() => (connected ? call('invites') : Promise.resolve([])));
  const [role, setRole] = useState('member');
  const [code, setCode] = useState(null);
  const [run, busy, actionError] = useAction();
  const manager = workspace.role === 'owner' || workspace.role === 'admin';

  const invite = (device) =>
    run(async () => {
      setCode(null);
      const known = new Set((invites ?? []).map((i) => i.invite_id));
      const made = await write('createInvite', role, device);
      // Which open invite the new code is, to say so in the list (and hide the code if it is
      // cancelled): the one made here that was not open before.
      const open = await call('invites').catch(() => []);
      const fresh = open.filter((i) => i.made_here && !known.has(i.invite_id));
      setCode({ code: made, device, id: fresh.length === 1 ? fresh[0].invite_id : null });
      reloadInvites();
    });
  const cancel = (i) =>
    run(async () => {
      await write('cancelInvite', i.invite_id);
      if (code?.id === i.invite_id) setCode(null);
      reloadInvites();
    });
  // Owners and admins cancel any invite; a member those she made (this device's).
  const shownInvites = (invites ?? []).filter((i) => manager || i.made_here);
  const act = (fn) => run(async () => (await fn(), reload()));

  return (
    <Screen title="Members" error={error} loading={connected && !roster}>
      {!connected && <p>This practice is on this device only. Connect it to a relay (Settings) to invite colleagues.</p>}
      {mine && (
        <section class="card" aria-labelledby="fingerprint-title">
          <h2 id="fingerprint-title">This device's fingerprint</h2>
          <p class="fingerprint own">{mine}</p>
          <p class="muted">
            A colleague who checks this device compares these digits, face to face, with what her Members screen shows for it.
          </p>
        </section>
      )}
      {roster && (
        <ul class="list">
          {roster.map((m) => (
            <li key={m.member_id} class={m.removed ? 'removed' : ''}>
              <div>
                <strong>{m.name}</strong> <span class="muted">{label(m.role)}{m.removed ? ', removed' : ''}</span>
                {!m.removed && (
                  <>
                    {' '}
                    <a href={m.member_id === workspace.member_id ? '#/card' : `#/card/${encodeURIComponent(m.member_id)}`} aria-label={`${m.name}'s card`}>
                      Card
                    </a>
                  </>
                )}
                {m.unverified_device && (
                  <p class="flag">
                    {m.name} has a new device nobody here verified: compare its fingerprint before trusting it.
                  </p>
                )}
                <ul class="plain devices">
                  {m.devices.map((d) => (
                    <li key={d.device_id}>
                      Device {d.device_id.slice(0, 8)}, joined {day(d.registered_at)}
                      {d.this_device && ' (this one)'}
                      {d.revoked && ', revoked'}{' '}
                      {d.verified && !d.revoked && <span class="badge">Verified</span>}
                      {!d.verified && !d.revoked && !d.this_device && <span class="badge unverified">Not verified</span>}{' '}
                      {!d.revoked && !d.this_device && (manager || m.member_id === workspace.member_id) && (
                        <button type="button" class="small secondary" disabled={busy} aria-label={`Revoke ${m.name}'s device ${d.device_id.slice(0, 8)}`} onClick={() => act(() => call('revokeDevice', d.device_id))}>
                          Revoke
                        </button>
                      )}
                      <br />
                      <span class="fingerprint">{d.fingerprint}</span>
                    </li>
                  ))}
                </ul>
              </div>
              {manager && !m.removed && m.member_id !== workspace.member_id && m.role !== 'owner' && (
                <button type="button" class="small secondary" disabled={busy} aria-label={`Remove ${m.name}`} onClick={() => act(() => call('removeMember', m.member_id))}>
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <ErrorLine error={actionError} />
      {roster && <Verify roster={roster} onVerified={reload} />}
      {connected && (
        <section class="card" aria-labelledby="invite-title">
          <h2 id="invite-title">Invite</h2>
          {manager && (
            <>
              <Select label="Role" options={[['member', 'Member'], ['admin', 'Admin']]} value={role} onChange={setRole} />
              <button type="button" disabled={busy} onClick={() => invite(false)}>
                Invite a colleague
              </button>{' '}
            </>
          )}
          <button type="button" class="secondary" disabled={busy} onClick={() => invite(true)}>
            Add another device of mine
          </button>
          {code && <Invite {...code} />}
        </section>
      )}
      {connected && invites && (manager || shownInvites.length > 0) && (
        <section class="card" aria-labelledby="open-invites-title">
          <h2 id="open-invites-title">Open invites</h2>
          <p class="muted">
            Each code lets in the first device that uses it, within 72 hours. Cancel one that went astray or is no longer needed: its code then lets
            nobody in.
          </p>
          {shownInvites.length === 0 ? (
            <p>No open invites.</p>
          ) : (
            <ul class="list" aria-labelledby="open-invites-title">
              {shownInvites.map((i) => (
                <li key={i.invite_id}>
                  <div>
                    <strong>{i.device ? `Another device of ${i.invited_by}` : `A new ${i.role === 'admin' ? 'admin' : 'member'}`}</strong>
                    {code?.id === i.invite_id && ' (the code above)'}
                    <br />
                    <span class="muted">
                      Invite {i.invite_id.slice(0, 8)}, by {i.invited_by}
                      {i.made_here ? ' on this device' : ''}, until {when(i.expires_at)}
                    </span>
                  </div>
                  <button type="button" class="small secondary" disabled={busy} aria-label={`Cancel invite ${i.invite_id.slice(0, 8)}`} onClick={() => cancel(i)}>
                    Cancel
                  </button>
                </li>
              ))}
            </ul>
          )}
          <ErrorLine error={invitesError} />
        </section>
      )}
    </Screen>
  );
}

/// Recording a face-to-face check: the colleague whose device showed its fingerprint (another
/// device of mine too), and the digits as read from it. The core compares them with the
/// roster's and records the match on this device only; a mismatch records nothing.
function Verify({ roster, onVerified }) {
  const { workspace } = useApp();
  const choices = roster.filter((m) => !m.removed && m.devices.some((d) => !d.revoked && !d.this_device));
  const [member, setMember] = useState('');
  const [typed, setTyped] = useState('');
  const [done, setDone] = useState(null);
  const [run, busy, error] = useAction();
  if (!choices.length) return null;
  const chosen = choices.some((m) => m.member_id === member) ? member : choices[0].member_id;

  const submit = (e) => {
    e.preventDefault();
    setDone(null);
    run(async () => {
      const m = await write('verifyMember', chosen, typed);
      setDone(`${m.name}'s device is verified on this device.`);
      setTyped('');
      onVerified();
    });
  };

  return (
    <section class="card" aria-labelledby="verify-title">
      <h2 id="verify-title">Verify a colleague's device</h2>
      <p class="muted">
        Sit with her and type the fingerprint her device shows as its own (her Members screen, or <code>trellis workspace fingerprint</code>).
      </p>
      <form class="form" onSubmit={submit}>
        <Select
          label="Colleague"
          options={choices.map((m) => [m.member_id, m.member_id === workspace.member_id ? `${m.name} (another device of mine)` : m.name])}
          value={chosen}
          onChange={setMember}
        />
        <Field
          label="Fingerprint"
          hint="20 digits, as 12345 67890 12345 67890"
          value={typed}
          onInput={(e) => setTyped(e.currentTarget.value)}
          inputMode="numeric"
          autocomplete="off"
          spellcheck={false}
        />
        <div>
          <button type="submit" disabled={busy || !typed.trim()}>
            Verify
          </button>
        </div>
      </form>
      <ErrorLine error={error} />
      {done && (
        <p class="notice" role="status">
          {done}
        </p>
      )}
    </section>
  );
}

/// A fresh invite: its code to copy or share, and as a QR code to scan from this screen.
function Invite({ code, device }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="invite">
      <p>
        {device ? 'On your other device, open Trellis and paste or scan this code.' : 'Send this to your colleague over a channel you trust.'} It works once,
        within 72 hours, and holds no key: once a device has joined with it, this one hands it the practice's keys when it next syncs (every few seconds
        for ten minutes while Trellis is open here, or "Sync now"). Whoever uses it first joins, so treat it like a password, and cancel it below if it went astray.
      </p>
      <label for="invite-code">New invite code</label>
      <textarea id="invite-code" readOnly rows={3} value={code} onFocus={(e) => e.currentTarget.select()} />
      <div class="row">
        <button type="button" class="small" onClick={() => navigator.clipboard.writeText(code).then(() => setCopied(true))}>
          {copied ? 'Copied' : 'Copy code'}
        </button>
        {navigator.share && (
          <button type="button" class="small secondary" onClick={() => navigator.share({ title: 'Trellis invite', text: code }).catch(() => {})}>
            Share
          </button>
        )}
      </div>
      <QrCode text={code} label="QR code of the invite code" />
    </div>
  );
}

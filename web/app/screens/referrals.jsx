// Referrals received and sent (never a client's identity: a reason category and a partner),
// and a quick form to record one.

import { useState } from 'preact/hooks';
import { call, write } from '../client.js';
import { day, label } from '../format.js';
import { ErrorLine, Field, Screen, Select, useAction, useApp, useData } from '../ui.jsx';

export function Referrals() {
  const { choices, notify } = useApp();
  const [data, error, reload] = useData(async () => {
    const [referrals, reasons, contacts, orgs] = await Promise.all([
      call('referrals', null, null),
      call('referralReasons'),
      call('contacts'),
      call('organizations'),
    ]);
    return { referrals, reasons, partners: [...contacts, ...orgs] };
  });
  const [form, setForm] = useState({ direction: 'received', partner: '', reason: '', status: 'inquiry', channel: 'phone', note: '' });
  const [run, busy, saveError] = useAction();
  const set = (key) => (e) => setForm((f) => ({ ...f, [key]: e.currentTarget.value }));
  const save = (e) => {
    e.preventDefault();
    run(async () => {
      const partner = data.partners.find((p) => p.name === form.partner.trim());
      await write('addReferral', {
        direction: form.direction,
        partner: partner?.id ?? form.partner.trim(),
        reason: form.reason.trim(),
        status: form.status,
        channel: form.channel,
        ...(form.note.trim() ? { note: form.note.trim() } : {}),
      });
      notify('Referral recorded.');
      setForm({ ...form, partner: '', reason: '', note: '' });
      reload();
    });
  };
  return (
    <Screen title="Referrals" error={error} loading={!data}>
      <ul class="list">
        {data?.referrals.map((r) => (
          <li key={r.id}>
            <div>
              <strong>{r.direction === 'received' ? 'From' : 'To'}</strong> {r.contact ?? r.organization}: {r.reason}
              <div class="muted">
                {day(r.day)} · {label(r.status)} · {label(r.channel)} · {r.recorded_by}
              </div>
            </div>
          </li>
        ))}
      </ul>
      {data?.referrals.length === 0 && <p class="muted">No referrals recorded yet.</p>}
      <form class="form card" onSubmit={save}>
        <h2>Record a referral</h2>
        <Select label="Direction" options={choices.referral_directions.map((d) => [d, label(d)])} value={form.direction} onChange={(direction) => setForm((f) => ({ ...f, direction }))} />
        <Field label="Partner" list="ref-partners" required value={form.partner} onInput={set('partner')} autocomplete="off" />
        <datalist id="ref-partners">
          {data?.partners.map((p) => (
            <option key={p.id} value={p.name} />
          ))}
        </datalist>
        <Field label="Reason" list="ref-reasons" required value={form.reason} onInput={set('reason')} hint="A category such as anxiety or couples work; never who the client is." autocomplete="off" />
        <datalist id="ref-reasons">
          {data?.reasons.map((r) => (
            <option key={r} value={r} />
          ))}
        </datalist>
        <Select label="Status" options={choices.referral_statuses.map((s) => [s, label(s)])} value={form.status} onChange={(status) => setForm((f) => ({ ...f, status }))} />
        <Select label="Channel" options={choices.referral_channels.map((c) => [c, label(c)])} value={form.channel} onChange={(channel) => setForm((f) => ({ ...f, channel }))} />
        <Field label="Referral note" hint={choices.note_privacy_hint} value={form.note} onInput={set('note')} />
        <ErrorLine error={saveError} />
        <button type="submit" disabled={busy}>
          Record referral
        </button>
      </form>
    </Screen>
  );
}

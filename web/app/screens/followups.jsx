// Follow-ups: every open one, mine first; done, snooze, assign to a colleague; and adding one.

import { useState } from 'preact/hooks';
import { call, write } from '../client.js';
import { isoDay, label, relative } from '../format.js';
import { ErrorLine, Field, Screen, Select, useAction, useApp, useData } from '../ui.jsx';

export function FollowUps() {
  const { workspace, choices } = useApp();
  const [data, error, reload] = useData(async () => {
    const [open, members, contacts] = await Promise.all([call('followups', 'open'), call('members'), call('contacts')]);
    return { open, members, contacts };
  });
  const [run, busy, actionError] = useAction();
  const [form, setForm] = useState({ kind: 'check-in', contact: '', due: isoDay(7), note: '' });
  const mine = (f) => f.assigned_to_id === workspace.member_id;
  const list = data ? [...data.open.filter(mine), ...data.open.filter((f) => !mine(f))] : [];
  const act = (fn) => run(async () => (await fn(), reload()));
  const add = (e) => {
    e.preventDefault();
    act(async () => {
      const contact = data.contacts.find((c) => c.name === form.contact);
      await write('addFollowup', {
        kind: form.kind,
        ...(contact ? { contact: contact.id } : {}),
        due: form.due,
        ...(form.note.trim() ? { note: form.note.trim() } : {}),
      });
      setForm({ ...form, contact: '', note: '' });
    });
  };
  return (
    <Screen title="Follow-ups" error={error} loading={!data}>
      <ErrorLine error={actionError} />
      <ul class="list">
        {list.map((f) => {
          const what = `${label(f.kind)} ${f.contact ?? f.organization ?? ''}`.trim();
          return (
            <li key={f.id} class={f.overdue ? 'overdue' : ''}>
              <div>
                <strong>{label(f.kind)}</strong> {f.contact ?? f.organization ?? ''}
                <div class="muted">
                  {f.overdue ? 'Overdue, ' : 'Due '}
                  {relative(f.due_at)} · {mine(f) ? 'mine' : `${f.assigned_to}'s`}
                  {f.note ? ` · ${f.note}` : ''}
                </div>
              </div>
              <div class="row">
                <button type="button" class="small" disabled={busy} aria-label={`Done: ${what}`} onClick={() => act(() => write('completeFollowup', f.id))}>
                  Done
                </button>
                <button type="button" class="small secondary" disabled={busy} aria-label={`Snooze a week: ${what}`} onClick={() => act(() => write('snoozeFollowup', f.id, isoDay(7)))}>
                  Snooze a week
                </button>
                <select
                  aria-label={`Assign: ${what}`}
                  value={f.assigned_to_id}
                  onChange={(e) => {
                    const to = e.currentTarget.value;
                    act(() => write('reassignFollowup', f.id, to));
                  }}
                >
                  {data.members.map((m) => (
                    <option key={m.id} value={m.id}>
                      {m.name}
                    </option>
                  ))}
                </select>
              </div>
            </li>
          );
        })}
      </ul>
      {data && list.length === 0 && <p class="muted">No open follow-ups.</p>}
      <form class="form card" onSubmit={add}>
        <h2>Add a follow-up</h2>
        <Select label="Kind" options={choices.followup_kinds.map((k) => [k, label(k)])} value={form.kind} onChange={(kind) => setForm((f) => ({ ...f, kind }))} />
        <Field label="With" list="fu-contacts" value={form.contact} onInput={(e) => setForm({ ...form, contact: e.currentTarget.value })} autocomplete="off" />
        <datalist id="fu-contacts">
          {data?.contacts.map((c) => (
            <option key={c.id} value={c.name} />
          ))}
        </datalist>
        <Field label="Due" type="date" value={form.due} onInput={(e) => setForm({ ...form, due: e.currentTarget.value })} />
        <Field label="Follow-up note" hint={choices.note_privacy_hint} value={form.note} onInput={(e) => setForm({ ...form, note: e.currentTarget.value })} />
        <button type="submit" disabled={busy}>
          Add follow-up
        </button>
      </form>
    </Screen>
  );
}

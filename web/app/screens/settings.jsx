// Settings: the practice's goals, the elevator pitch per category, leave-behind stock,
// connecting a practice kept on this device to this relay, and the build this relay serves.

import { useState } from 'preact/hooks';
import { call, write } from '../client.js';
import { label } from '../format.js';
import { ErrorLine, Field, Screen, Select, useAction, useApp, useData } from '../ui.jsx';

export function Settings() {
  const { choices, workspace, me, notify, reload: reloadApp } = useApp();
  const [data, error, reload] = useData(async () => {
    const [settings, stock] = await Promise.all([call('settings'), call('stock')]);
    return { settings, stock };
  });
  const [goal, setGoal] = useState(null);
  const [category, setCategory] = useState('school-counselor');
  const [pitch, setPitch] = useState(null);
  const [item, setItem] = useState({ name: '', qty: '' });
  const [secret, setSecret] = useState('');
  const [run, busy, actionError] = useAction();
  const [current] = useData(() => call('pitch', category), [category]);

  return (
    <Screen title="Settings" error={error} loading={!data}>
      {data && (
        <>
          <p>
            {me.name} in {workspace.name} ({label(workspace.role)})
          </p>
          <ErrorLine error={actionError} />
          <form
            class="form card"
            onSubmit={(e) => {
              e.preventDefault();
              run(async () => (await write('setGoals', Number(goal ?? data.settings.minutes_per_week), null, null), notify('Goal saved.'), reload()));
            }}
          >
            <h2>Goal</h2>
            <Field label="Networking minutes a week" type="number" min="0" value={goal ?? data.settings.minutes_per_week} onInput={(e) => setGoal(e.currentTarget.value)} />
            <button type="submit" disabled={busy}>
              Save goal
            </button>
          </form>
          <form
            class="form card"
            onSubmit={(e) => {
              e.preventDefault();
              run(async () => (await write('setPitch', category, pitch ?? current ?? ''), notify('Pitch saved.')));
            }}
          >
            <h2>Elevator pitch</h2>
            <Select label="For" options={choices.contact_categories.map((k) => [k, label(k)])} value={category} onChange={(c) => (setCategory(c), setPitch(null))} />
            <Field label="Pitch" multiline rows={4} hint="Shown on a contact's page before a visit." value={pitch ?? current ?? ''} onInput={(e) => setPitch(e.currentTarget.value)} />
            <button type="submit" disabled={busy}>
              Save pitch
            </button>
          </form>
          <section class="card" aria-labelledby="stock-title">
            <h2 id="stock-title">Leave-behinds</h2>
            <ul class="list">
              {data.stock.map((s) => (
                <li key={s.item}>
                  {s.name}: {s.stock} left
                </li>
              ))}
            </ul>
            <form
              class="form"
              onSubmit={(e) => {
                e.preventDefault();
                run(async () => (await write('restock', item.name.trim(), Number(item.qty)), setItem({ name: '', qty: '' }), reload()));
              }}
            >
              <Field label="Item" list="stock-items" value={item.name} onInput={(e) => setItem({ ...item, name: e.currentTarget.value })} />
              <datalist id="stock-items">
                {data.stock.map((s) => (
                  <option key={s.item} value={s.name} />
                ))}
              </datalist>
              <Field label="How many more" type="number" min="1" value={item.qty} onInput={(e) => setItem({ ...item, qty: e.currentTarget.value })} />
              <button type="submit" disabled={busy || !item.name.trim()}>
                Restock
              </button>
            </form>
          </section>
          {!workspace.relay_url && (
            <form
              class="form card"
              onSubmit={(e) => {
                e.preventDefault();
                run(async () => (await write('connectWorkspace', location.origin, secret), await reloadApp()));
              }}
            >
              <h2>Share through this relay</h2>
              <Field label="Signup secret" type="password" autocomplete="off" hint="From whoever runs this relay." value={secret} onInput={(e) => setSecret(e.currentTarget.value)} />
              <button type="submit" disabled={busy || !secret}>
                Connect
              </button>
            </form>
          )}
          <p class="muted build-note">
            The relay serves this app; compare its build with the hash published for your release (docs/WEB.md explains how).
          </p>
        </>
      )}
    </Screen>
  );
}

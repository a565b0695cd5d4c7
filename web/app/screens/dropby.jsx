// Log a drop-by (or a call, a talk...) on one screen: the place (a recent or nearby one in one
// tap, or a new one typed in), who you met (or someone new), minutes, what you left behind, and
// a note with the privacy hint. Saved on this device at once; the worker syncs it when it can.
// A half-filled form survives a reload (kept in this tab's session storage until saved).

import { useEffect, useMemo, useState } from 'preact/hooks';
import { call, write } from '../client.js';
import { label } from '../format.js';
import { ErrorLine, Field, Screen, Select, useAction, useApp, useData } from '../ui.jsx';

const DRAFT = 'trellis-dropby-draft';
const EMPTY = { kind: 'drop-by', place: '', placeKind: 'school', met: [], people: [], minutes: '15', left: {}, note: '' };

function loadDraft() {
  try {
    return JSON.parse(sessionStorage.getItem(DRAFT)) ?? null;
  } catch {
    return null;
  }
}

export function DropBy({ params }) {
  const { choices, navigate, notify, refresh } = useApp();
  const [data, error] = useData(async () => {
    const [orgs, contacts, stock] = await Promise.all([call('organizations'), call('contacts'), call('stock')]);
    return { orgs, contacts, stock };
  });
  const [form, setForm] = useState(() => loadDraft() ?? EMPTY);
  const [nearby, setNearby] = useState(null);
  const [here, setHere] = useState(null);
  const [newPerson, setNewPerson] = useState({ name: '', category: 'school-counselor' });
  const [run, busy, saveError] = useAction();

  // A place or person given in the address (from Today, a place's or a contact's page).
  useEffect(() => {
    if (!data) return;
    const org = data.orgs.find((o) => o.id === params.get('org'));
    const contact = data.contacts.find((c) => c.id === params.get('contact'));
    if (!org && !contact) return;
    const place = org ?? data.orgs.find((o) => o.id === contact.organization_id);
    setForm((f) => ({ ...f, place: place?.name ?? f.place, met: contact ? [contact.id] : f.met }));
  }, [data, params.toString()]);

  useEffect(() => {
    sessionStorage.setItem(DRAFT, JSON.stringify(form));
  }, [form]);

  const set = (key) => (e) => setForm((f) => ({ ...f, [key]: e.currentTarget.value }));
  const org = useMemo(
    () => data?.orgs.find((o) => o.name.toLowerCase() === form.place.trim().toLowerCase()),
    [data, form.place],
  );
  const people = data?.contacts.filter((c) => org && c.organization_id === org.id) ?? [];

  const findNearby = () =>
    run(
      () =>
        new Promise((resolve, reject) =>
          navigator.geolocation.getCurrentPosition(
            async ({ coords }) => {
              setHere([coords.latitude, coords.longitude]);
              setNearby(await call('nearby', coords.latitude, coords.longitude, 2));
              resolve();
            },
            () => reject({ message: 'Your location is not available; type the place instead.' }),
            { timeout: 10_000, maximumAge: 60_000 },
          ),
        ),
    );

  const save = (e) => {
    e.preventDefault();
    run(async () => {
      const minutes = Number(form.minutes);
      if (!Number.isInteger(minutes) || minutes < 0) throw { message: 'Minutes is a whole number.' };
      let orgId = org?.id ?? null;
      if (!orgId && form.place.trim()) {
        const made = await write('addOrg', { name: form.place.trim(), kind: form.placeKind, ...(here ? { location: here } : {}) });
        orgId = made.id;
      }
      const met = [...form.met];
      for (const p of form.people) {
        const made = await write('addContact', { name: p.name, category: p.category, ...(orgId ? { organization: orgId } : {}) });
        met.push(made.id);
      }
      const left_behind = Object.entries(form.left)
        .map(([item, qty]) => ({ item, qty: Number(qty) }))
        .filter((l) => l.qty > 0);
      const visit = await write('logActivity', {
        kind: form.kind,
        ...(orgId ? { organization: orgId } : {}),
        contacts: met,
        minutes,
        note: form.note.trim() || null,
        left_behind,
      });
      sessionStorage.removeItem(DRAFT);
      setForm(EMPTY);
      refresh();
      notify(`${label(visit.kind)} saved${visit.organization ? ` at ${visit.organization}` : ''}.`);
      navigate('today');
    });
  };

  return (
    <Screen title="Log drop-by" error={error} loading={!data}>
      {data && (
        <form onSubmit={save} class="form">
          <Select
            label="What"
            options={choices.activity_kinds.map((k) => [k, label(k)])}
            value={form.kind}
            onChange={(kind) => setForm((f) => ({ ...f, kind }))}
          />
          <Field label="Organization" list="places" autocomplete="off" value={form.place} onInput={set('place')} placeholder="School, clinic, congregation…" />
          <datalist id="places">
            {data.orgs.map((o) => (
              <option key={o.id} value={o.name} />
            ))}
          </datalist>
          <div class="row">
            {navigator.geolocation && (
              <button type="button" class="secondary small" onClick={findNearby} disabled={busy}>
                Places near me
              </button>
            )}
            {nearby?.map((n) => (
              <button type="button" key={n.id} class="chip" onClick={() => setForm((f) => ({ ...f, place: n.name }))}>
                {n.name} ({n.distance_km.toFixed(1)} km)
              </button>
            ))}
            {nearby?.length === 0 && <span class="muted">No saved place within 2 km.</span>}
          </div>
          {form.place.trim() && !org && (
            <Select
              label="New place: kind"
              options={choices.org_kinds.map((k) => [k, label(k)])}
              value={form.placeKind}
              onChange={(placeKind) => setForm((f) => ({ ...f, placeKind }))}
            />
          )}
          <fieldset>
            <legend>Who you met</legend>
            {people.map((c) => (
              <label key={c.id} class="check">
                <input
                  type="checkbox"
                  checked={form.met.includes(c.id)}
                  onChange={(e) => {
                    const on = e.currentTarget.checked;
                    setForm((f) => ({ ...f, met: on ? [...f.met, c.id] : f.met.filter((x) => x !== c.id) }));
                  }}
                />
                {c.name}
                {c.role ? `, ${c.role}` : ''}
              </label>
            ))}
            {form.people.map((p, i) => (
              <p key={i} class="new-person">
                New: {p.name} ({label(p.category)}){' '}
                <button type="button" class="link" onClick={() => setForm((f) => ({ ...f, people: f.people.filter((_, j) => j !== i) }))}>
                  Remove {p.name}
                </button>
              </p>
            ))}
            <div class="row">
              <Field label="Someone new" value={newPerson.name} autocomplete="off" onInput={(e) => setNewPerson({ ...newPerson, name: e.currentTarget.value })} />
              <Select
                label="Their role"
                options={choices.contact_categories.map((k) => [k, label(k)])}
                value={newPerson.category}
                onChange={(category) => setNewPerson({ ...newPerson, category })}
              />
              <button
                type="button"
                class="secondary small"
                disabled={!newPerson.name.trim()}
                onClick={() => {
                  setForm((f) => ({ ...f, people: [...f.people, { name: newPerson.name.trim(), category: newPerson.category }] }));
                  setNewPerson({ ...newPerson, name: '' });
                }}
              >
                Add person
              </button>
            </div>
          </fieldset>
          <Field label="Minutes" type="number" inputMode="numeric" min="0" step="1" value={form.minutes} onInput={set('minutes')} />
          {data.stock.length > 0 && (
            <fieldset>
              <legend>Left behind</legend>
              {data.stock.map((s) => (
                <Field
                  key={s.item}
                  label={`${s.name} (${s.stock} left)`}
                  type="number"
                  inputMode="numeric"
                  min="0"
                  value={form.left[s.item] ?? ''}
                  onInput={(e) => {
                    const qty = e.currentTarget.value;
                    setForm((f) => ({ ...f, left: { ...f.left, [s.item]: qty } }));
                  }}
                />
              ))}
            </fieldset>
          )}
          <Field label="Note" multiline rows={3} hint={choices.note_privacy_hint} value={form.note} onInput={set('note')} />
          <ErrorLine error={saveError} />
          <button type="submit" class="primary" disabled={busy}>
            Save
          </button>
        </form>
      )}
    </Screen>
  );
}

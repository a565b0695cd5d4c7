// Places (organizations): the list, adding one, and a place's page with its people, where to
// log a drop-by there, and "I am here" to save its location for "Places near me".

import { useState } from 'preact/hooks';
import { call, write } from '../client.js';
import { label } from '../format.js';
import { ErrorLine, Field, Screen, Select, useAction, useApp, useData } from '../ui.jsx';

export function Places() {
  const { choices, notify } = useApp();
  const [orgs, error, reload] = useData(() => call('organizations'));
  const [form, setForm] = useState({ name: '', kind: 'school', address: '', phone: '', website: '' });
  const [run, busy, addError] = useAction();
  const set = (key) => (e) => setForm((f) => ({ ...f, [key]: e.currentTarget.value }));
  const add = (e) => {
    e.preventDefault();
    run(async () => {
      const input = { name: form.name.trim(), kind: form.kind };
      for (const k of ['address', 'phone', 'website']) if (form[k].trim()) input[k] = form[k].trim();
      const made = await write('addOrg', input);
      setForm({ ...form, name: '', address: '', phone: '', website: '' });
      notify(`${made.name} added.`);
      reload();
    });
  };
  return (
    <Screen title="Places" error={error} loading={!orgs}>
      <ul class="list">
        {orgs?.map((o) => (
          <li key={o.id}>
            <a href={`#/place/${encodeURIComponent(o.id)}`}>
              <strong>{o.name}</strong> <span class="muted">{label(o.kind)}</span>
            </a>
          </li>
        ))}
      </ul>
      <form class="form card" onSubmit={add}>
        <h2>Add a place</h2>
        <Field label="Place name" required value={form.name} onInput={set('name')} autocomplete="off" />
        <Select label="Kind" options={choices.org_kinds.map((k) => [k, label(k)])} value={form.kind} onChange={(kind) => setForm((f) => ({ ...f, kind }))} />
        <Field label="Address" value={form.address} onInput={set('address')} />
        <Field label="Phone" type="tel" value={form.phone} onInput={set('phone')} />
        <Field label="Website" type="url" value={form.website} onInput={set('website')} />
        <ErrorLine error={addError} />
        <button type="submit" disabled={busy}>
          Add place
        </button>
      </form>
    </Screen>
  );
}

/// A place's fields, changed in place.
function EditPlace({ org, onDone }) {
  const { choices } = useApp();
  const [form, setForm] = useState({ name: org.name, kind: org.kind, address: org.address ?? '', phone: org.phone ?? '', website: org.website ?? '' });
  const [run, busy, error] = useAction();
  const set = (key) => (e) => setForm((f) => ({ ...f, [key]: e.currentTarget.value }));
  const save = (e) => {
    e.preventDefault();
    run(async () => {
      await write('updateOrg', org.id, form);
      onDone();
    });
  };
  return (
    <form class="form card" onSubmit={save} aria-labelledby="edit-place-title">
      <h2 id="edit-place-title">Edit place</h2>
      <Field label="Place name" required value={form.name} onInput={set('name')} autocomplete="off" />
      <Select label="Kind" options={choices.org_kinds.map((k) => [k, label(k)])} value={form.kind} onChange={(kind) => setForm((f) => ({ ...f, kind }))} />
      <Field label="Address" value={form.address} onInput={set('address')} />
      <Field label="Phone" type="tel" value={form.phone} onInput={set('phone')} />
      <Field label="Website" type="url" value={form.website} onInput={set('website')} />
      <ErrorLine error={error} />
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          Save place
        </button>
        <button type="button" class="secondary" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function PlacePage({ id }) {
  const { navigate, notify } = useApp();
  const [editing, setEditing] = useState(false);
  const [data, error, reload] = useData(async () => {
    const [orgs, contacts] = await Promise.all([call('organizations'), call('contacts')]);
    return { org: orgs.find((o) => o.id === id), people: contacts.filter((c) => c.organization_id === id) };
  }, [id]);
  const [run, busy, actionError] = useAction();
  const org = data?.org;
  const locate = () =>
    run(
      () =>
        new Promise((resolve, reject) =>
          navigator.geolocation.getCurrentPosition(
            async ({ coords }) => {
              try {
                await write('setOrgLocation', id, coords.latitude, coords.longitude);
                notify(`Saved where ${org.name} is.`);
                reload();
                resolve();
              } catch (e) {
                reject(e);
              }
            },
            () => reject({ message: 'Your location is not available.' }),
            { timeout: 10_000 },
          ),
        ),
    );
  return (
    <Screen
      title={org?.name ?? 'Place'}
      error={error ?? (data && !org ? { message: 'This place is not in the practice.' } : null)}
      loading={!data}
      actions={
        <button type="button" class="primary" onClick={() => navigate(`log?org=${encodeURIComponent(id)}`)}>
          Log drop-by
        </button>
      }
    >
      {org && (
        <>
          <p class="lead">{[label(org.kind), org.address].filter(Boolean).join(' · ')}</p>
          {editing ? (
            <EditPlace
              org={org}
              onDone={() => {
                setEditing(false);
                reload();
              }}
            />
          ) : (
            <button type="button" class="secondary small" onClick={() => setEditing(true)}>
              Edit place
            </button>
          )}
          {org.phone && (
            <p>
              <a href={`tel:${org.phone}`}>{org.phone}</a>
            </p>
          )}
          <h2>People</h2>
          <ul class="list">
            {data.people.map((c) => (
              <li key={c.id}>
                <a href={`#/contact/${encodeURIComponent(c.id)}`}>{c.name}</a>
                <span class="muted">{label(c.category)}</span>
              </li>
            ))}
          </ul>
          <div class="row">
            <button type="button" class="secondary" onClick={() => navigate(`contacts/new?org=${encodeURIComponent(id)}`)}>
              Add a person here
            </button>
            {navigator.geolocation && (
              <button type="button" class="secondary" disabled={busy} onClick={locate}>
                I am here: save its location
              </button>
            )}
          </div>
          <ErrorLine error={actionError} />
        </>
      )}
    </Screen>
  );
}

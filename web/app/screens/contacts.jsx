// Contacts: the list (windowed, so a practice of thousands scrolls smoothly), adding one, and a
// contact's page: the pitch for her category before a visit, needs, stage, open follow-ups,
// history and notes.

import { useMemo, useRef, useState } from 'preact/hooks';
import { call, write } from '../client.js';
import { day, label, relative } from '../format.js';
import { ErrorLine, Field, Screen, Select, useAction, useApp, useData } from '../ui.jsx';

const ROW = 56;

export function Contacts() {
  const { navigate } = useApp();
  const [contacts, error] = useData(() => call('contacts'));
  const [filter, setFilter] = useState('');
  const shown = useMemo(() => {
    const q = filter.trim().toLowerCase();
    if (!contacts) return [];
    return q
      ? contacts.filter((c) => c.name.toLowerCase().includes(q) || (c.organization ?? '').toLowerCase().includes(q))
      : contacts;
  }, [contacts, filter]);
  return (
    <Screen
      title="Contacts"
      error={error}
      loading={!contacts}
      actions={
        <button type="button" onClick={() => navigate('contacts/new')}>
          Add contact
        </button>
      }
    >
      <Field label="Filter contacts" type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
      <p class="muted">
        {shown.length} of {contacts?.length ?? 0}
      </p>
      <Windowed
        items={shown}
        label="Contacts"
        render={(c) => (
          <a href={`#/contact/${encodeURIComponent(c.id)}`}>
            <strong>{c.name}</strong>
            <span class="muted">
              {[c.organization, label(c.category), label(c.stage)].filter(Boolean).join(' · ')}
            </span>
          </a>
        )}
      />
    </Screen>
  );
}

/// A list that puts in the page only the rows in view (and a few around them).
export function Windowed({ items, render, label: name }) {
  const box = useRef(null);
  const [top, setTop] = useState(0);
  const height = 480;
  const first = Math.max(0, Math.floor(top / ROW) - 5);
  const last = Math.min(items.length, Math.ceil((top + height) / ROW) + 5);
  return (
    <div class="window" ref={box} style={{ height: `${Math.min(height, items.length * ROW + 2)}px` }} onScroll={(e) => setTop(e.currentTarget.scrollTop)}>
      <ul aria-label={name} style={{ height: `${items.length * ROW}px` }}>
        {items.slice(first, last).map((item, i) => (
          <li key={item.id} style={{ top: `${(first + i) * ROW}px` }} aria-setsize={items.length} aria-posinset={first + i + 1}>
            {render(item)}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function NewContact({ params }) {
  const { choices, navigate, notify } = useApp();
  const [orgs] = useData(() => call('organizations'));
  const [form, setForm] = useState({ name: '', organization: '', role: '', category: 'school-counselor', phone: '', email: '', needs: '', how_we_help: '' });
  const [run, busy, error] = useAction();
  const set = (key) => (e) => setForm((f) => ({ ...f, [key]: e.currentTarget.value }));
  const presetOrg = orgs?.find((o) => o.id === params.get('org'));
  const save = (e) => {
    e.preventDefault();
    run(async () => {
      const org = form.organization.trim() || presetOrg?.name || '';
      const known = orgs.find((o) => o.name.toLowerCase() === org.toLowerCase());
      let organization = known?.id;
      if (org && !known) organization = (await write('addOrg', { name: org })).id;
      const made = await write('addContact', {
        name: form.name.trim(),
        category: form.category,
        ...(organization ? { organization } : {}),
        ...(form.role.trim() ? { role: form.role.trim() } : {}),
        phones: form.phone.trim() ? [form.phone.trim()] : [],
        emails: form.email.trim() ? [form.email.trim()] : [],
        ...(form.needs.trim() ? { needs: form.needs.trim() } : {}),
        ...(form.how_we_help.trim() ? { how_we_help: form.how_we_help.trim() } : {}),
      });
      notify(`${made.name} added.`);
      navigate(`contact/${encodeURIComponent(made.id)}`);
    });
  };
  return (
    <Screen title="Add contact" loading={!orgs}>
      <form class="form" onSubmit={save}>
        <Field label="Name" required value={form.name} onInput={set('name')} autocomplete="off" />
        <Field label="Organization" list="contact-orgs" value={form.organization || presetOrg?.name || ''} onInput={set('organization')} autocomplete="off" />
        <datalist id="contact-orgs">
          {orgs?.map((o) => (
            <option key={o.id} value={o.name} />
          ))}
        </datalist>
        <Select label="Category" options={choices.contact_categories.map((k) => [k, label(k)])} value={form.category} onChange={(category) => setForm((f) => ({ ...f, category }))} />
        <Field label="Role or title" value={form.role} onInput={set('role')} />
        <Field label="Phone" type="tel" value={form.phone} onInput={set('phone')} />
        <Field label="Email" type="email" value={form.email} onInput={set('email')} />
        <Field label="Their population's needs" multiline rows={2} value={form.needs} onInput={set('needs')} />
        <Field label="How we can help them" multiline rows={2} value={form.how_we_help} onInput={set('how_we_help')} />
        <ErrorLine error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Save contact
        </button>
      </form>
    </Screen>
  );
}

/// A contact's fields, changed in place (one list item a line for phones and emails).
function EditContact({ c, onDone }) {
  const { choices } = useApp();
  const [orgs] = useData(() => call('organizations'));
  const [form, setForm] = useState({
    name: c.name,
    organization: c.organization ?? '',
    role: c.role ?? '',
    category: c.category,
    phones: c.phones.join('\n'),
    emails: c.emails.join('\n'),
    needs: c.needs ?? '',
    how_we_help: c.how_we_help ?? '',
  });
  const [run, busy, error] = useAction();
  const set = (key) => (e) => setForm((f) => ({ ...f, [key]: e.currentTarget.value }));
  const lines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean);
  const save = (e) => {
    e.preventDefault();
    run(async () => {
      const org = orgs?.find((o) => o.name === form.organization.trim());
      await write('updateContact', c.id, {
        name: form.name,
        organization: org?.id ?? form.organization,
        role: form.role,
        category: form.category,
        phones: lines(form.phones),
        emails: lines(form.emails),
        needs: form.needs,
        how_we_help: form.how_we_help,
      });
      onDone();
    });
  };
  return (
    <form class="form card" onSubmit={save} aria-labelledby="edit-title">
      <h2 id="edit-title">Edit details</h2>
      <Field label="Name" required value={form.name} onInput={set('name')} autocomplete="off" />
      <Field label="Organization" list="edit-orgs" value={form.organization} onInput={set('organization')} autocomplete="off" hint="Leave empty for none." />
      <datalist id="edit-orgs">
        {orgs?.map((o) => (
          <option key={o.id} value={o.name} />
        ))}
      </datalist>
      <Field label="Role or title" value={form.role} onInput={set('role')} />
      <Select label="Category" options={choices.contact_categories.map((k) => [k, label(k)])} value={form.category} onChange={(category) => setForm((f) => ({ ...f, category }))} />
      <Field label="Phones" multiline rows={2} hint="One a line." value={form.phones} onInput={set('phones')} />
      <Field label="Emails" multiline rows={2} hint="One a line." value={form.emails} onInput={set('emails')} />
      <Field label="Their population's needs" multiline rows={2} value={form.needs} onInput={set('needs')} />
      <Field label="How we can help them" multiline rows={2} value={form.how_we_help} onInput={set('how_we_help')} />
      <ErrorLine error={error} />
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          Save details
        </button>
        <button type="button" class="secondary" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function ContactPage({ id }) {
  const { choices, navigate } = useApp();
  const [c, error, reload] = useData(() => call('contact', id), [id]);
  const [editing, setEditing] = useState(false);
  const [note, setNote] = useState('');
  const [run, busy, actionError] = useAction();
  const addNote = (e) => {
    e.preventDefault();
    run(async () => {
      await write('appendNote', id, note.trim());
      setNote('');
      reload();
    });
  };
  return (
    <Screen
      title={c?.name ?? 'Contact'}
      error={error}
      loading={!c}
      actions={
        <button type="button" class="primary" onClick={() => navigate(`log?contact=${encodeURIComponent(id)}`)}>
          Log drop-by
        </button>
      }
    >
      {c && (
        <>
          <p class="lead">
            {[c.role, c.organization, label(c.category)].filter(Boolean).join(' · ')}
          </p>
          <p class="muted">Last touch {c.last_touch_at ? relative(c.last_touch_at) : 'never'}; in touch every {c.cadence_days} days.</p>
          {editing ? (
            <EditContact
              c={c}
              onDone={() => {
                setEditing(false);
                reload();
              }}
            />
          ) : (
            <button type="button" class="secondary small" onClick={() => setEditing(true)}>
              Edit details
            </button>
          )}
          <ul class="plain">
            {c.phones.map((p) => (
              <li key={p}>
                <a href={`tel:${p}`}>{p}</a>
              </li>
            ))}
            {c.emails.map((m) => (
              <li key={m}>
                <a href={`mailto:${m}`}>{m}</a>
              </li>
            ))}
          </ul>
          {c.pitch && (
            <section class="card pitch" aria-labelledby="pitch-title">
              <h2 id="pitch-title">Before you go</h2>
              <p>{c.pitch}</p>
            </section>
          )}
          {(c.needs || c.how_we_help) && (
            <section aria-labelledby="needs-title">
              <h2 id="needs-title">Needs</h2>
              {c.needs && <p>{c.needs}</p>}
              {c.how_we_help && <p class="muted">How we help: {c.how_we_help}</p>}
            </section>
          )}
          <Select
            label="Stage"
            options={choices.stages.map((s) => [s, label(s)])}
            value={c.stage}
            onChange={(stage) => run(async () => (await write('setStage', id, stage), reload()))}
          />
          <ErrorLine error={actionError} />
          {c.followups.length > 0 && (
            <section aria-labelledby="cf-title">
              <h2 id="cf-title">Follow-ups</h2>
              <ul class="list">
                {c.followups.map((f) => (
                  <li key={f.id}>
                    {label(f.kind)}, due {relative(f.due_at)} ({f.assigned_to})
                  </li>
                ))}
              </ul>
            </section>
          )}
          <section aria-labelledby="history-title">
            <h2 id="history-title">History</h2>
            {c.history.length === 0 ? (
              <p class="muted">Nothing logged yet.</p>
            ) : (
              <ul class="list">
                {c.history.map((a) => (
                  <li key={a.id}>
                    <div>
                      <strong>{label(a.kind)}</strong> {day(a.at)}, {a.minutes} min, {a.logged_by}
                      {a.note && <div class="muted">{a.note}</div>}
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section aria-labelledby="notes-title">
            <h2 id="notes-title">Notes</h2>
            <ul class="list">
              {c.notes.map((n) => (
                <li key={n.id}>
                  <div>
                    {n.text}
                    <div class="muted">
                      {n.author}, {day(n.at)}
                    </div>
                  </div>
                </li>
              ))}
            </ul>
            <form onSubmit={addNote} class="form">
              <Field label="New note" multiline rows={2} hint={choices.note_privacy_hint} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
              <button type="submit" disabled={busy || !note.trim()}>
                Add note
              </button>
            </form>
          </section>
          <button
            type="button"
            class="secondary"
            onClick={() => run(async () => (await write('archiveContact', id, !c.archived), reload()))}
          >
            {c.archived ? 'Restore contact' : 'Archive contact'}
          </button>
        </>
      )}
    </Screen>
  );
}

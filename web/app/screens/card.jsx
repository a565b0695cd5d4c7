// Profile cards. "My card": what colleagues and referral sources need to know to send me a
// client (specialties, who I see, the ages, how I work, panels, languages, credentials,
// telehealth states, where I see clients in person as a 3-digit ZIP, a self-pay range, whether
// I take new clients, and my pitch), picked from the core's closed lists (`choices()`); when my
// openings were last confirmed over 30 days ago (or never), a nudge to say so again in one tap;
// the card as a vCard to download and as a QR code to scan; the practice's other cards. A
// colleague's card (#/card/ID) is shown read-only, with her vCard and its QR code too.
//
// "Save card" sends only what changed (giving the openings confirms them, so an unchanged
// status is not sent again); a refusal shows the core's sentence and keeps what was typed.

import { useEffect, useState } from 'preact/hooks';
import { call, write } from '../client.js';
import { cardWord, day, openingsText, relative } from '../format.js';
import { ErrorLine, Field, QrCode, Screen, useAction, useApp, useData } from '../ui.jsx';

// The card's lists: [field, title, hint, the list of choices() it picks from].
const LISTS = [
  ['specialties', 'Specialties', 'What you treat.', 'specialties'],
  ['populations', 'Populations', 'Who you see.', 'populations'],
  ['age_bands', 'Age bands', 'The ages you see.', 'age_bands'],
  ['modalities', 'Modalities', 'How you work.', 'modalities'],
  ['panels', 'Insurance panels', 'The panels you are on.', 'panels'],
  ['languages', 'Languages', 'The languages you work in.', 'languages'],
  ['credentials', 'Credentials', 'Your licenses and degrees.', 'credentials'],
  ['telehealth', 'Telehealth states', 'The states you offer telehealth in.', 'us_states'],
];

/// The form's fields for a card as stored.
function formOf(card) {
  const form = {};
  for (const [key] of LISTS) form[key] = card[key] ?? [];
  form.payFrom = card.self_pay ? String(card.self_pay.min) : '';
  form.payTo = card.self_pay ? String(card.self_pay.max) : '';
  form.zip3 = card.zip3 ?? '';
  form.status = card.openings?.status ?? '';
  form.weeks = card.openings?.status === 'waitlist' ? String(card.openings.weeks) : '';
  form.pitch = card.pitch ?? '';
  return form;
}

/// What `setProfile` is given: the fields of the form that differ from the card as stored.
function changes(form, card, choices) {
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const update = {};
  for (const [key, , , list] of LISTS) {
    // In the core's order, as it keeps them.
    const picked = choices[list].filter((v) => form[key].includes(v));
    if (!same(picked, card[key] ?? [])) update[key] = picked;
  }
  const [from, to] = [form.payFrom.trim(), form.payTo.trim()];
  // One figure is a flat fee; none, no self-pay.
  const pay = from || to ? { min: Number(from || to), max: Number(to || from) } : null;
  if (!same(pay, card.self_pay ?? null)) update.self_pay = pay;
  const zip = form.zip3.trim() || null;
  if (zip !== (card.zip3 ?? null)) update.zip3 = zip;
  const openings = form.status === 'waitlist' ? { status: 'waitlist', weeks: Number(form.weeks) } : form.status ? { status: form.status } : null;
  if (openings && !same(openings, card.openings ?? null)) update.openings = openings;
  const pitch = form.pitch.trim() || null;
  if (pitch !== (card.pitch ?? null)) update.pitch = pitch;
  return update;
}

export function MyCard() {
  const { choices, notify, refresh } = useApp();
  const [data, error] = useData(async () => {
    const [mine, all] = await Promise.all([call('profile'), call('profiles')]);
    return { mine, others: all.filter((p) => !p.mine) };
  });
  // What was typed, until saved: a sync that brings a change does not overwrite it.
  const [draft, setDraft] = useState(null);
  const [run, busy, actionError] = useAction();
  const [confirm, confirming, confirmError] = useAction();
  const mine = data?.mine;
  const form = draft ?? (mine ? formOf(mine.card) : null);
  const set = (key, value) => setDraft({ ...form, [key]: value });

  const save = (e) => {
    e.preventDefault();
    run(async () => {
      const update = changes(form, mine.card, choices);
      if (Object.keys(update).length === 0) {
        notify('Nothing changed on your card.');
        return;
      }
      await write('setProfile', update);
      setDraft(null);
      notify('Card saved.');
      // Everything that shows the card (the vCard too) loads it again.
      refresh();
    });
  };
  const answer = (openings) =>
    confirm(async () => {
      await write('setProfile', { openings });
      notify('Openings confirmed.');
      refresh();
    });

  return (
    <Screen title="My card" error={error} loading={!data}>
      {data && (
        <>
          <p class="muted">
            What colleagues and referral sources see to send {mine.name} a client. It holds nothing about any client; the practice's members read it.
          </p>
          {mine.openings_stale && (
            <section class="card nudge" aria-labelledby="nudge-title">
              <h2 id="nudge-title">Are you still taking new clients?</h2>
              {mine.card.openings ? (
                <>
                  <p>
                    Your card says <strong>{openingsText(mine.card.openings)}</strong>
                    {mine.card.openings_confirmed_at ? `, last confirmed ${relative(mine.card.openings_confirmed_at)}` : ''}. Referral sources go by a
                    recent answer.
                  </p>
                  <div class="row">
                    <button type="button" disabled={confirming} onClick={() => answer(mine.card.openings)}>
                      Yes, confirm
                    </button>
                  </div>
                  <p class="muted">Or change it under Openings below.</p>
                </>
              ) : (
                <>
                  <p>Your card does not say yet.</p>
                  <div class="row">
                    <button type="button" disabled={confirming} onClick={() => answer({ status: 'accepting' })}>
                      Yes, accepting
                    </button>
                    <button type="button" class="secondary" disabled={confirming} onClick={() => answer({ status: 'full' })}>
                      No, full
                    </button>
                  </div>
                  <p class="muted">A waitlist: under Openings below.</p>
                </>
              )}
              <ErrorLine error={confirmError} />
            </section>
          )}
          <form class="form card" onSubmit={save}>
            <h2>Your card</h2>
            <fieldset>
              <legend>Openings</legend>
              {[
                ['accepting', 'Accepting new clients'],
                ['waitlist', 'Waitlist'],
                ['full', 'Full'],
              ].map(([value, text]) => (
                <label class="check" key={value}>
                  <input type="radio" name="openings" value={value} checked={form.status === value} onChange={() => set('status', value)} />
                  {text}
                </label>
              ))}
              {form.status === 'waitlist' && (
                <Field
                  label="Weeks on the waitlist"
                  type="number"
                  min="1"
                  max="104"
                  step="1"
                  required
                  inputMode="numeric"
                  value={form.weeks}
                  onInput={(e) => set('weeks', e.currentTarget.value)}
                />
              )}
              {mine.card.openings_confirmed_at && <p class="muted">Last confirmed {day(mine.card.openings_confirmed_at)}.</p>}
            </fieldset>
            <div class="picks-list">
              {LISTS.map(([key, title, hint, list]) => (
                <Picker
                  key={key}
                  title={title}
                  hint={hint}
                  options={choices[list]}
                  word={(v) => cardWord(key, v)}
                  value={form[key]}
                  onChange={(v) => set(key, v)}
                  compact={key === 'telehealth'}
                />
              ))}
            </div>
            <Field
              label="ZIP code (first 3 digits)"
              hint="Where you see clients in person; no finer than three digits (e.g. 010). Blank for telehealth only."
              inputMode="numeric"
              autocomplete="off"
              value={form.zip3}
              onInput={(e) => set('zip3', e.currentTarget.value)}
            />
            <fieldset>
              <legend>Self-pay fee a session</legend>
              <div class="row">
                <Field label="From ($)" type="number" min="0" step="1" inputMode="numeric" value={form.payFrom} onInput={(e) => set('payFrom', e.currentTarget.value)} />
                <Field label="To ($)" type="number" min="0" step="1" inputMode="numeric" value={form.payTo} onInput={(e) => set('payTo', e.currentTarget.value)} />
              </div>
              <p class="hint">Whole dollars; one figure for a flat fee; both blank if you take no self-pay clients.</p>
            </fieldset>
            <Field
              label="Your pitch"
              multiline
              rows={4}
              hint="A few sentences a colleague or a school counselor can pass on."
              value={form.pitch}
              onInput={(e) => set('pitch', e.currentTarget.value)}
            />
            <ErrorLine error={actionError} />
            <div class="row">
              <button type="submit" disabled={busy}>
                Save card
              </button>
              {draft && (
                <button type="button" class="secondary" disabled={busy} onClick={() => setDraft(null)}>
                  Undo changes
                </button>
              )}
            </div>
          </form>
          <HandOver member={null} name={mine.name} mine />
          <section class="card" aria-labelledby="cards-title">
            <h2 id="cards-title">Colleagues' cards</h2>
            {data.others.length === 0 ? (
              <p>No colleague has written a card yet.</p>
            ) : (
              <ul class="list" aria-labelledby="cards-title">
                {data.others.map((p) => (
                  <li key={p.member_id}>
                    <a href={`#/card/${encodeURIComponent(p.member_id)}`}>
                      <strong>{p.name}</strong>
                    </a>
                    <span class="muted">{openingsText(p.card.openings)}</span>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </Screen>
  );
}

/// Checkboxes over one of the card's closed lists, folded under a summary of what is chosen.
function Picker({ title, hint, options, word, value, onChange, compact }) {
  const chosen = options.filter((o) => value.includes(o));
  const groupId = `pick-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <details class="pick">
      <summary>
        <span class="pick-title">{title}</span> <span class="pick-chosen">{chosen.length ? chosen.map(word).join(', ') : 'None chosen'}</span>
      </summary>
      <p class="hint" id={`${groupId}-hint`}>
        {hint}
      </p>
      <div role="group" aria-label={title} aria-describedby={`${groupId}-hint`} class={compact ? 'picks compact' : 'picks'}>
        {options.map((o) => (
          <label class="check" key={o}>
            <input type="checkbox" checked={value.includes(o)} onChange={(e) => onChange(e.currentTarget.checked ? [...value, o] : value.filter((v) => v !== o))} />
            {word(o)}
          </label>
        ))}
      </div>
    </details>
  );
}

/// A colleague's card, read-only (#/card/ID), with her vCard and its QR code.
export function CardPage({ id }) {
  const [p, error] = useData(() => call('profile', id), [id]);
  return (
    <Screen title={p ? (p.mine ? 'My card' : `${p.name}'s card`) : 'Card'} error={error} loading={!p}>
      {p && (
        <>
          {p.mine && (
            <p>
              <a href="#/card">Edit my card</a>
            </p>
          )}
          <CardFacts profile={p} />
          <HandOver member={p.member_id} name={p.name} mine={p.mine} />
        </>
      )}
    </Screen>
  );
}

/// A card's contents as a list of terms.
function CardFacts({ profile: p }) {
  const c = p.card;
  const words = (key) => (c[key]?.length ? c[key].map((v) => cardWord(key, v)).join(', ') : '—');
  const rows = [
    ['Openings', openingsText(c.openings) + (c.openings && p.openings_stale ? ' (not confirmed for over 30 days)' : '')],
    ['Credentials', words('credentials')],
    ['Specialties', words('specialties')],
    ['Populations', words('populations')],
    ['Ages', words('age_bands')],
    ['Modalities', words('modalities')],
    ['Insurance panels', words('panels')],
    ['Self-pay', c.self_pay ? (c.self_pay.min === c.self_pay.max ? `$${c.self_pay.min}` : `$${c.self_pay.min}–$${c.self_pay.max}`) : '—'],
    ['Languages', words('languages')],
    ['In person', c.zip3 ? `ZIP ${c.zip3}xx` : '—'],
    ['Telehealth', words('telehealth')],
    ['Pitch', c.pitch ?? '—'],
  ];
  return (
    <dl class="facts card">
      {rows.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/// The card as a vCard 4.0 (the core writes it): a download made here from a Blob, and a QR
/// code of the same text for a phone's camera. Nothing leaves the device.
function HandOver({ member, name, mine }) {
  const [text, error] = useData(() => call('profileVcard', member), [member]);
  const [url, setUrl] = useState(null);
  useEffect(() => {
    if (!text) return undefined;
    const made = URL.createObjectURL(new Blob([text], { type: 'text/vcard' }));
    setUrl(made);
    return () => URL.revokeObjectURL(made);
  }, [text]);
  const whose = mine ? 'your' : `${name}'s`;
  return (
    <section class="card" aria-labelledby="vcard-title">
      <h2 id="vcard-title">Hand it over</h2>
      <p class="muted">
        {mine ? 'Your' : `${name}'s`} card as a vCard, for a referral source's address book: download it, or let her phone's camera read the QR code. What
        was last saved.
      </p>
      <ErrorLine error={error} />
      {url && (
        <a class="button" href={url} download={`${fileName(name)}.vcf`}>
          Download vCard
        </a>
      )}
      {text && <QrCode text={text} label={`QR code of ${whose} vCard`} class="vcard" />}
    </section>
  );
}

/// A name as a file's name: without the characters file systems refuse.
function fileName(name) {
  return name.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ').trim() || 'card';
}

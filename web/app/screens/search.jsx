// Full-text search over names and notes (SQLite's FTS5, on this device).

import { useState } from 'preact/hooks';
import { call } from '../client.js';
import { label } from '../format.js';
import { ErrorLine, Field, Screen, useAction } from '../ui.jsx';

const LINK = { contact: 'contact', organization: 'place' };

export function Search() {
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState(null);
  const [run, busy, error] = useAction();
  const search = (e) => {
    e.preventDefault();
    run(async () => setHits(await call('search', query)));
  };
  return (
    <Screen title="Search">
      <form class="form" role="search" onSubmit={search}>
        <Field label="Search names and notes" type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
        <button type="submit" disabled={busy || !query.trim()}>
          Search
        </button>
      </form>
      <ErrorLine error={error} />
      {hits && (
        <ul class="list" aria-label="Results">
          {hits.map((h) => (
            <li key={`${h.kind}-${h.id}`}>
              <span class="muted">{label(h.kind)}</span>{' '}
              {LINK[h.kind] ? <a href={`#/${LINK[h.kind]}/${encodeURIComponent(h.id)}`}>{h.title}</a> : h.title}
            </li>
          ))}
          {hits.length === 0 && <li class="muted">Nothing found.</li>}
        </ul>
      )}
    </Screen>
  );
}

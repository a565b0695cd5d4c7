// The app: starts the service worker and the store's worker, then shows the setup screen
// until this browser is in a practice, the waiting screen while a join waits for the
// practice's keys, and the practice's screens after that. Screens are
// chosen by the address's hash (#/today, #/log, #/contact/ID...): one page, nothing for the
// relay to route.

import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { call, on, openStore } from './client.js';
import { App } from './ui.jsx';
import { Setup } from './screens/setup.jsx';
import { Waiting } from './screens/waiting.jsx';
import { Today } from './screens/today.jsx';
import { DropBy } from './screens/dropby.jsx';
import { Contacts, ContactPage, NewContact } from './screens/contacts.jsx';
import { Places, PlacePage } from './screens/places.jsx';
import { FollowUps } from './screens/followups.jsx';
import { Referrals } from './screens/referrals.jsx';
import { Search } from './screens/search.jsx';
import { Reports } from './screens/reports.jsx';
import { Members } from './screens/members.jsx';
import { CardPage, MyCard } from './screens/card.jsx';
import { Settings } from './screens/settings.jsx';
import { SyncBar } from './sync.jsx';

const STORE = 'trellis.sqlite3';

/// The core's module on the page, loaded on demand: for scripts and tests that drive the core
/// directly (the app itself talks to the worker).
window.trellisModule = async () => {
  const module = await import('./pkg/trellis_web.js');
  await module.default();
  return module;
};

const NAV = [
  ['today', 'Today'],
  ['log', 'Log drop-by'],
  ['contacts', 'Contacts'],
  ['places', 'Places'],
  ['followups', 'Follow-ups'],
  ['referrals', 'Referrals'],
  ['search', 'Search'],
  ['reports', 'Reports'],
  ['card', 'My card'],
  ['members', 'Members'],
  ['settings', 'Settings'],
];

// Each screen's component, by the address's first part; defined once, so a screen keeps its
// state (a half-typed form) when the app around it renders again.
const SCREENS = {
  today: Today,
  log: DropBy,
  contacts: ({ id, params }) => (id === 'new' ? <NewContact params={params} /> : <Contacts />),
  contact: ContactPage,
  places: Places,
  place: PlacePage,
  followups: FollowUps,
  referrals: Referrals,
  search: Search,
  reports: Reports,
  card: ({ id }) => (id ? <CardPage id={id} /> : <MyCard />),
  members: Members,
  settings: Settings,
};

function route() {
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [screen = 'today', id] = path.split('/');
  return { screen: screen || 'today', id: id ? decodeURIComponent(id) : undefined, params: new URLSearchParams(query) };
}

export function navigate(to) {
  location.hash = `#/${to}`;
}

function Main() {
  const [boot, setBoot] = useState({ state: 'starting' });
  const [where, setWhere] = useState(route());
  const [version, setVersion] = useState(0);
  const [notice, setNotice] = useState(null);

  const load = async () => {
    try {
      const choices = await call('choices');
      let me = null;
      try {
        me = await call('device');
      } catch (e) {
        if (e.code !== 'not_initialized') throw e;
      }
      const workspaces = me ? await call('workspaces') : [];
      const workspace = workspaces.find((w) => w.current) ?? null;
      setBoot({ state: 'ready', me, workspace, choices });
    } catch (e) {
      setBoot({ state: 'failed', error: e });
    }
  };

  useEffect(() => {
    openStore(STORE).then(load, (error) => setBoot({ state: 'failed', error }));
    navigator.storage?.persist?.();
    const stop = on('changed', () => setVersion((v) => v + 1));
    const onHash = () => {
      setWhere(route());
      // The new screen's title, for screen readers and keyboards.
      requestAnimationFrame(() => document.getElementById('screen-title')?.focus());
    };
    addEventListener('hashchange', onHash);
    // The address may have changed between the first render and this listener.
    setWhere(route());
    return () => {
      stop();
      removeEventListener('hashchange', onHash);
    };
  }, []);

  useEffect(() => {
    if (!notice) return undefined;
    const t = setTimeout(() => setNotice(null), 6000);
    return () => clearTimeout(t);
  }, [notice]);

  if (boot.state === 'starting') return <p class="boot">Opening Trellis…</p>;
  if (boot.state === 'failed') {
    return (
      <main class="boot">
        <h1>Trellis could not open</h1>
        <p role="alert">{boot.error?.message ?? String(boot.error)}</p>
      </main>
    );
  }

  const app = {
    me: boot.me,
    workspace: boot.workspace,
    choices: boot.choices,
    version,
    refresh: () => setVersion((v) => v + 1),
    reload: load,
    navigate,
    notify: setNotice,
  };

  if (!boot.workspace) {
    return (
      <App.Provider value={app}>
        <main id="main">
          <Setup />
        </main>
      </App.Provider>
    );
  }

  if (boot.workspace.awaiting_keys) {
    return (
      <App.Provider value={app}>
        <header class="top">
          <span class="practice">Joining a practice</span>
          <SyncBar />
        </header>
        <main id="main">
          <Waiting />
        </main>
      </App.Provider>
    );
  }

  const { screen, id, params } = where;
  const Screen = SCREENS[screen] ?? SCREENS.today;
  return (
    <App.Provider value={app}>
      <div class="shell">
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('screen-title')?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <span class="practice">{boot.workspace.name}</span>
        <SyncBar />
      </header>
      <nav aria-label="Screens">
        <ul>
          {NAV.map(([to, text]) => (
            <li key={to}>
              <a href={`#/${to}`} aria-current={screen === to ? 'page' : undefined}>
                {text}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main">
        {notice && (
          <p class="notice" role="status">
            {notice}
          </p>
        )}
        <Screen id={id} params={params} />
      </main>
      </div>
    </App.Provider>
  );
}

// Offline after the first visit: the service worker keeps the app shell (www/sw.js).
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('./sw.js').catch(() => {
    // Not fatal: the app works online without it.
  });
}

render(<Main />, document.getElementById('app'));

// The build line: what the relay says it serves (docs/WEB.md, "Trusting the relay with the
// app"). Offline, or a relay that cannot say, leaves "unknown" until the browser is online.
const showBuild = () =>
  fetch('/v1/app', { cache: 'no-store' })
    .then((r) => r.json())
    .then(({ hash }) => {
      if (hash) document.getElementById('build-hash').textContent = hash;
    })
    .catch(() => {});
showBuild();
addEventListener('online', showBuild);

// The sync line on every screen: a status region (read out when it changes) that says
// "Offline" while offline, the changes waiting, when the last sync was, entries set aside and
// roster events refused, and "Sync now"; below it, a banner when the relay's copy of the
// practice's roster failed this device's checks (the core's sentence says why). While a join
// waits for its keys (the waiting screen) it says when this device last asked, and "Sync now"
// asks again.

import { useEffect, useState } from 'preact/hooks';
import { call, on } from './client.js';
import { count, relative } from './format.js';

export function SyncBar() {
  const [s, setS] = useState(null);
  const [online, setOnline] = useState(navigator.onLine);
  const [, tick] = useState(0);
  useEffect(() => {
    const stop = on('status', setS);
    call('syncState').then(setS, () => {});
    const up = () => {
      setOnline(true);
      call('syncNow').catch(() => {});
    };
    const down = () => setOnline(false);
    addEventListener('online', up);
    addEventListener('offline', down);
    // "3 min ago" moves on.
    const t = setInterval(() => tick((n) => n + 1), 30_000);
    return () => {
      stop();
      removeEventListener('online', up);
      removeEventListener('offline', down);
      clearInterval(t);
    };
  }, []);

  const status = s?.status;
  const offline = !online || (s && !s.online);
  const awaiting = Boolean(s?.awaiting_keys);
  const parts = [];
  if (!s) {
    // Not known yet: the worker answers in a moment.
  } else if (awaiting) {
    if (offline) parts.push('Offline');
    else if (s.syncing) parts.push('Syncing…');
    else if (s.error) parts.push(`Sync failed: ${s.error.message}`);
    else parts.push(s.checked_at ? `Not let in yet, checked ${relative(s.checked_at)}` : 'Not let in yet');
  } else if (!status?.relay_url) parts.push('On this device only');
  else if (offline) parts.push('Offline');
  else if (s?.syncing) parts.push('Syncing…');
  else if (s?.error) parts.push(`Sync failed: ${s.error.message}`);
  else parts.push(`Synced ${relative(status.last_sync_at)}${s?.live ? ', live' : ''}`);
  if (status?.pending_changes) parts.push(`${count(status.pending_changes, 'change')} waiting`);
  if (status?.set_aside) parts.push(`${count(status.set_aside, 'entry', 'entries')} set aside`);
  if (status?.roster_refused) parts.push(`${count(status.roster_refused, 'roster event')} refused`);

  return (
    <>
      <div class={offline ? 'sync offline' : 'sync'}>
        <span role="status" aria-live="polite" class="sync-text">
          {parts.join(' · ')}
        </span>
        {(status?.relay_url || awaiting) && (
          <button type="button" class="small" disabled={s?.syncing} onClick={() => call('syncNow').catch(() => {})}>
            Sync now
          </button>
        )}
      </div>
      {status?.roster_problem && (
        <p class="banner" role="alert">
          The relay's copy of the practice's roster failed this device's checks: {status.roster_problem}
        </p>
      )}
    </>
  );
}

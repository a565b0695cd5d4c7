// Today: my follow-ups due first (a colleague's marked as theirs), this week's networking
// minutes against the goal, places to drop by again in one tap, and who is losing touch.

import { call, write } from '../client.js';
import { count, label, relative } from '../format.js';
import { ErrorLine, Screen, useAction, useApp, useData } from '../ui.jsx';

export function Today() {
  const { workspace, navigate } = useApp();
  const [data, error, reload] = useData(async () => {
    const [due, week, losing, activities, orgs] = await Promise.all([
      call('followups', 'due'),
      call('timeReport', null, null),
      call('losingTouch'),
      call('activities'),
      call('organizations'),
    ]);
    return { due, week, losing, activities, orgs };
  });
  const [run, busy, actionError] = useAction();

  const mine = (f) => f.assigned_to_id === workspace.member_id;
  const due = data ? [...data.due.filter(mine), ...data.due.filter((f) => !mine(f))] : [];
  const minutes = data ? data.week.weeks.reduce((s, w) => s + w.minutes, 0) : 0;
  const goal = data?.week.goal_minutes ?? 0;
  // Places to go back to: the latest visited, each once.
  const recent = [];
  for (const a of data?.activities ?? []) {
    if (a.organization_id && !recent.some((o) => o.id === a.organization_id)) {
      const org = data.orgs.find((o) => o.id === a.organization_id);
      if (org) recent.push(org);
    }
    if (recent.length === 4) break;
  }

  return (
    <Screen
      title="Today"
      error={error}
      loading={!data}
      actions={
        <button type="button" class="primary" onClick={() => navigate('log')}>
          Log drop-by
        </button>
      }
    >
      {data && (
        <>
          {recent.length > 0 && (
            <div class="chips" role="group" aria-label="Drop by again">
              {recent.map((o) => (
                <a key={o.id} class="chip" href={`#/log?org=${encodeURIComponent(o.id)}`}>
                  {o.name}
                </a>
              ))}
            </div>
          )}
          <section aria-labelledby="week-title" class="card">
            <h2 id="week-title">This week</h2>
            <p>
              {minutes} of {goal} minutes of networking
            </p>
            <meter min={0} max={Math.max(goal, 1)} value={minutes} aria-labelledby="week-title" />
          </section>
          <section aria-labelledby="due-title">
            <h2 id="due-title">Follow-ups due</h2>
            <ErrorLine error={actionError} />
            {due.length === 0 ? (
              <p class="muted">Nothing due. A good day for a drop-by.</p>
            ) : (
              <ul class="list">
                {due.map((f) => (
                  <li key={f.id} class={f.overdue ? 'overdue' : ''}>
                    <div>
                      <strong>{label(f.kind)}</strong> {f.contact ?? f.organization ?? ''}
                      <div class="muted">
                        {f.overdue ? 'Overdue, ' : 'Due '}
                        {relative(f.due_at)}
                        {!mine(f) && ` · ${f.assigned_to}'s`}
                      </div>
                    </div>
                    <button
                      type="button"
                      class="small"
                      disabled={busy}
                      aria-label={`Done: ${label(f.kind)} ${f.contact ?? f.organization ?? ''}`}
                      onClick={() => run(async () => (await write('completeFollowup', f.id), reload()))}
                    >
                      Done
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section aria-labelledby="losing-title">
            <h2 id="losing-title">Losing touch</h2>
            {data.losing.length === 0 ? (
              <p class="muted">Everyone heard from you within their cadence.</p>
            ) : (
              <ul class="list">
                {data.losing.slice(0, 5).map((c) => (
                  <li key={c.id}>
                    <a href={`#/contact/${encodeURIComponent(c.id)}`}>{c.name}</a>
                    <span class="muted">
                      {count(c.days_since_touch, 'day')} since the last touch
                      {c.organization ? ` · ${c.organization}` : ''}
                    </span>
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

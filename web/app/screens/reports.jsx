// Reports with charts: networking minutes week by week against the goal, new connections this
// month, referrals by source, reciprocity per partner, and leave-behinds used.

import { call } from '../client.js';
import { isoDay } from '../format.js';
import { Bars, Screen, useData } from '../ui.jsx';

export function Reports() {
  const [data, error] = useData(async () => {
    const [time, connections, referrals, reciprocity] = await Promise.all([
      call('timeReport', isoDay(-7 * 7), isoDay(0)),
      call('connectionsReport', null),
      call('referralReport', null, null),
      call('reciprocityReport', null, null),
    ]);
    return { time, connections, referrals, reciprocity };
  });
  return (
    <Screen title="Reports" error={error} loading={!data}>
      {data && (
        <>
          <Bars
            title="Networking minutes per week"
            unit=" min"
            goal={data.time.goal_minutes}
            rows={data.time.weeks.map((w) => ({ label: `Week of ${w.week_of.slice(5)}`, value: w.minutes, met: w.goal_met }))}
          />
          <section aria-labelledby="conn-title">
            <h2 id="conn-title">New connections in {data.connections.month}</h2>
            <p>
              {data.connections.connections.length} of a goal of {data.connections.goal}
              {data.connections.connections.length > 0 && `: ${data.connections.connections.map((c) => c.name).join(', ')}`}
            </p>
          </section>
          <section aria-labelledby="ref-title">
            <h2 id="ref-title">Referrals</h2>
            <p>
              {data.referrals.received} received, {data.referrals.sent} sent, {data.referrals.became_clients} became clients.
            </p>
            {data.referrals.by_source.length > 0 && (
              <Bars title="Referrals received by source" rows={data.referrals.by_source.map((c) => ({ label: c.label, value: c.count }))} />
            )}
          </section>
          {data.reciprocity.length > 0 && (
            <section aria-labelledby="recip-title">
              <h2 id="recip-title">Reciprocity</h2>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Partner</th>
                    <th scope="col">Received</th>
                    <th scope="col">Sent</th>
                  </tr>
                </thead>
                <tbody>
                  {data.reciprocity.map((r) => (
                    <tr key={r.partner}>
                      <th scope="row">{r.partner}</th>
                      <td>{r.received}</td>
                      <td>{r.sent}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          )}
        </>
      )}
    </Screen>
  );
}

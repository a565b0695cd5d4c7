// The browser story: two therapists' browsers (separate contexts, so separate storage) and a
// real relay on loopback. A starts a practice, logs a drop-by at a new school and syncs; B
// joins with the invite code and waits for the practice's keys (its sync and its reads refused
// with code awaiting_keys), A syncs and hands them over, and B sees the drop-by after sync;
// B's reply reaches A; A lists its open invites and cancels one, whose code then admits nobody;
// each roster shows the other device's fingerprint, and A records B's as checked face to face
// (a mistyped one refused); A writes her profile card and B reads it (refused cards stored
// nothing). Along the way: errors reach JavaScript with their stable code, and full-text search
// (SQLite's FTS5, compiled into the wasm) finds the visit.
//
// The relay serves the app itself (the web build in web/dist/): the story checks its
// Content-Security-Policy and other headers, that the module comes as application/wasm, that
// no request of any page leaves the relay's origin, and that the build line of the page shows
// the hash the relay reports, equal to the one the web build printed.
//
// Needs: APP_HASH (the hash scripts/web.sh printed for web/dist/), TRELLIS_BIN_DIR
// (trellis-relay), CHROMIUM (default /usr/bin/chromium). Run by scripts/web.sh.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch, newContext, SECRET, startRelay, step } from './lib.mjs';

const appHash = process.env.APP_HASH;

/// A page of the app in a fresh context; any uncaught error or console error fails the story,
/// and so does any request that leaves the app's origin (from the page or its workers).
async function openApp(browser, origin, problems) {
  const context = await newContext(browser, origin, problems);
  const page = await context.newPage();
  const answers = [];
  page.on('response', (r) => answers.push(r));
  const document = await page.goto(origin);
  await ready(page);
  return { context, page, document, answers };
}

/// Waits for the page to load, then loads the core's module on it (the app's own store is in
/// its worker; these stories drive the module directly) and adds the story's helpers.
async function ready(page) {
  await page.waitForFunction(() => typeof window.trellisModule === 'function');
  await page.evaluate(async () => {
    window.trellis = await window.trellisModule();
  });
  // In the page: the store, and a helper that runs its background steps until none is left.
  await page.evaluate(() => {
    window.settle = async (store) => {
      for (let i = 0; i < 1000; i++) {
        const wait = store.runBackground();
        if (wait === undefined) return i;
        await new Promise((r) => setTimeout(r, wait));
      }
      throw new Error('the background steps did not end');
    };
    window.codeOf = async (f) => {
      try {
        await f();
        return null;
      } catch (e) {
        return { code: e.code, name: e.name, message: e.message, isError: e instanceof Error };
      }
    };
  });
}

async function main() {
  assert.match(appHash ?? '', /^[0-9a-f]{64}$/, 'APP_HASH is the hash of the web build');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-web-'));
  const relay = await startRelay(path.join(tmp, 'relay'));
  step(`relay at ${relay.url}`);
  // The page, its module and /v1/ all come from the relay: one origin, no CORS.
  const server = { origin: relay.url };
  const browser = await launch();
  const problems = [];
  try {
    const a = await openApp(browser, server.origin, problems);
    const b = await openApp(browser, server.origin, problems);
    step('both pages loaded the wasm');

    // Served by the relay: the policy and other headers on the page, the module's type, and
    // the build line equal to what the relay reports and to what the web build printed.
    const headers = await a.document.allHeaders();
    assert.equal(a.document.status(), 200);
    assert.match(headers['content-type'], /^text\/html/);
    const policy = headers['content-security-policy'] ?? '';
    for (const directive of [
      "default-src 'self'",
      "script-src 'self' 'wasm-unsafe-eval'",
      "worker-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
    ]) {
      assert.ok(policy.split('; ').includes(directive), `${directive} in ${policy}`);
    }
    assert.ok(!policy.includes('unsafe-inline'), policy);
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.equal(headers['referrer-policy'], 'no-referrer');
    const wasm = a.answers.find((r) => r.url().endsWith('.wasm'));
    assert.ok(wasm, `the page fetched the module: ${a.answers.map((r) => r.url())}`);
    assert.equal(await wasm.headerValue('content-type'), 'application/wasm');
    assert.equal(wasm.url(), `${server.origin}/pkg/trellis_web_bg.wasm`);
    const reported = await (await fetch(`${server.origin}/v1/app`)).json();
    assert.equal(reported.hash, appHash, 'the relay serves the build web.sh made');
    await a.page.waitForFunction((h) => document.getElementById('build-hash')?.textContent === h, appHash, { timeout: 10_000 });
    step(`served by the relay: policy, application/wasm, build ${appHash.slice(0, 12)}…`);

    // A: a therapist starts a practice on the relay, then a drop-by at a new school.
    const fromA = await a.page.evaluate(async ({ origin, secret }) => {
      const store = window.trellis.TrellisStore.openInMemory();
      window.store = store;
      const before = await codeOf(() => store.createWorkspace('Maple Street Counseling'));
      const device = store.init('Dana');
      const wrongSecret = await codeOf(() =>
        store.createSharedWorkspace('Maple Street Counseling', origin, 'not-the-secret'),
      );
      const ws = await store.createSharedWorkspace('Maple Street Counseling', origin, secret);
      const badOrg = await codeOf(() => store.addOrg({ name: 'Lincoln', colour: 'blue' }));
      const org = store.addOrg({ name: 'Lincoln Middle School', kind: 'school' });
      store.addContact({
        name: 'Rosa Jimenez',
        organization: 'Lincoln',
        category: 'school-counselor',
        needs: 'teens with anxiety',
      });
      const visit = store.logActivity({
        organization: 'Lincoln',
        contacts: ['Rosa'],
        minutes: 20,
        note: 'Offered a parent night in spring',
        left_behind: [{ item: 'brochure', qty: 10 }],
        // Yesterday afternoon: its thank-you (due within 48 hours) is due today.
        at: new Date(Date.now() - 30 * 3600 * 1000).toISOString(),
      });
      const today = store.followups('due');
      const pendingBefore = store.status().pending_changes;
      const steps = await settle(store);
      const report = await store.sync();
      const status = store.status();
      const code = await store.createInvite('member', false);
      return { before, device, wrongSecret, ws, badOrg, org, visit, today, pendingBefore, steps, report, status, code };
    }, { origin: server.origin, secret: SECRET });
    step('A started the practice, logged a drop-by and synced');

    assert.equal(fromA.before.code, 'not_initialized');
    assert.equal(fromA.before.isError, true);
    assert.equal(fromA.before.name, 'TrellisError');
    assert.equal(fromA.device.name, 'Dana');
    assert.equal(fromA.wrongSecret.code, 'not_authorized', JSON.stringify(fromA.wrongSecret));
    assert.equal(fromA.ws.name, 'Maple Street Counseling');
    assert.equal(fromA.ws.relay_url, server.origin);
    assert.equal(fromA.ws.role, 'owner');
    assert.equal(fromA.badOrg.code, 'invalid_input');
    assert.match(fromA.badOrg.message, /colour/);
    assert.equal(fromA.org.kind, 'school');
    assert.equal(fromA.visit.kind, 'drop-by');
    assert.equal(fromA.visit.organization, 'Lincoln Middle School');
    assert.deepEqual(fromA.visit.contacts, ['Rosa Jimenez']);
    assert.ok(
      fromA.today.some((f) => f.activity_id === fromA.visit.id && f.contact === 'Rosa Jimenez'),
      `the thank-you is due today: ${JSON.stringify(fromA.today)}`,
    );
    assert.ok(fromA.pendingBefore > 0, 'changes wait for the relay');
    assert.ok(fromA.steps >= 1, 'the search catch-up ran in steps');
    assert.ok(fromA.report.pushed > 0, JSON.stringify(fromA.report));
    assert.equal(fromA.status.pending_changes, 0);
    assert.ok(fromA.status.last_sync_at, 'the last sync is recorded');
    assert.ok(fromA.code.length > 20, 'an invite code');

    // A's open invites: the one just made, by this device.
    const openAtA = await a.page.evaluate(() => window.store.invites());

    // B: a colleague joins with the code and waits for the practice's keys: until a device of
    // the practice hands them over, its sync and its reads are refused with awaiting_keys, and
    // its workspace has no name yet. A's device syncs (it hands the keys to B's), then B's,
    // which finishes the join, and B sees the drop-by.
    const joined = await b.page.evaluate(async (code) => {
      const store = window.trellis.TrellisStore.openInMemory();
      window.store = store;
      store.init('Sam');
      const badCode = await codeOf(() => store.join('not-a-code', null));
      const ws = await store.join(code, null);
      const listed = store.workspaces();
      const early = await codeOf(() => store.sync());
      const read = await codeOf(() => store.activities());
      return { badCode, ws, listed, early, read };
    }, fromA.code);
    const granted = await a.page.evaluate(() => window.store.sync());
    const fromB = await b.page.evaluate(async (code) => {
      const store = window.store;
      const report = await store.sync();
      await settle(store);
      const activities = store.activities();
      const contacts = store.contacts();
      const orgs = store.organizations();
      const hits = store.search('parent night');
      const reused = await codeOf(() => window.trellis.TrellisStore.openInMemory().join(code, null));
      // B's own visit, for A.
      store.logActivity({ kind: 'call', contacts: ['Rosa'], minutes: 5, note: 'Confirmed the date' });
      const back = await store.sync();
      return { report, activities, contacts, orgs, hits, reused, back };
    }, fromA.code);
    step('B joined, synced and sees the drop-by');

    assert.equal(openAtA.length, 1, JSON.stringify(openAtA));
    assert.equal(openAtA[0].made_here, true);
    assert.equal(openAtA[0].device, false);
    assert.equal(openAtA[0].role, 'member');
    assert.equal(openAtA[0].invited_by, 'Dana');
    assert.ok(new Date(openAtA[0].expires_at) > new Date(), openAtA[0].expires_at);
    assert.equal(joined.badCode.code, 'invalid_input', JSON.stringify(joined.badCode));
    assert.equal(joined.ws.id, fromA.ws.id);
    assert.equal(joined.ws.role, 'member');
    assert.equal(joined.ws.awaiting_keys, true, JSON.stringify(joined.ws));
    assert.equal(joined.ws.name, '', 'the name comes with the keys');
    assert.deepEqual(
      joined.listed.map((w) => [w.id, w.current, w.awaiting_keys]),
      [[fromA.ws.id, true, true]],
      'the pending join is listed, current and waiting',
    );
    assert.equal(joined.early.code, 'awaiting_keys', JSON.stringify(joined.early));
    assert.equal(joined.read.code, 'awaiting_keys', JSON.stringify(joined.read));
    assert.equal(granted.keys_granted, 1, `A handed the keys to B's device: ${JSON.stringify(granted)}`);
    assert.ok(fromB.report.pulled > 0, JSON.stringify(fromB.report));
    const seen = fromB.activities.find((x) => x.id === fromA.visit.id);
    assert.ok(seen, `B sees A's drop-by: ${JSON.stringify(fromB.activities)}`);
    assert.equal(seen.kind, 'drop-by');
    assert.equal(seen.note, 'Offered a parent night in spring');
    assert.equal(seen.organization, 'Lincoln Middle School');
    assert.equal(seen.logged_by, 'Dana');
    assert.deepEqual(seen.left_behind, [{ item: 'brochure', qty: 10 }]);
    assert.deepEqual(fromB.contacts.map((c) => c.name), ['Rosa Jimenez']);
    assert.deepEqual(fromB.orgs.map((o) => o.name), ['Lincoln Middle School']);
    assert.ok(
      fromB.hits.some((h) => h.kind === 'activity' && h.id === fromA.visit.id),
      `full-text search finds the visit: ${JSON.stringify(fromB.hits)}`,
    );
    assert.ok(fromB.reused && fromB.reused.code !== null, 'a used invite is refused');
    assert.ok(fromB.back.pushed > 0);

    // A hears back.
    const backAtA = await a.page.evaluate(async () => {
      const report = await window.store.sync();
      return { report, activities: window.store.activities() };
    });
    assert.ok(backAtA.report.pulled > 0);
    assert.ok(
      backAtA.activities.some((x) => x.kind === 'call' && x.logged_by === 'Sam'),
      JSON.stringify(backAtA.activities),
    );
    step("A sees B's call");

    // Invites: A makes one for another member and one for another device of hers, and cancels
    // the first by a prefix of its id; B's device lists the one left open (a member lists every
    // open invite), and a join with the cancelled code is refused (no workspace kept on the
    // joining device).
    const cancelled = await a.page.evaluate(async () => {
      const store = window.store;
      const forColleague = await store.createInvite('admin', false);
      const forDevice = await store.createInvite('member', true);
      const open = await store.invites();
      const target = open.find((i) => !i.device);
      const none = await codeOf(() => store.cancelInvite('zzzz'));
      const empty = await codeOf(() => store.cancelInvite('  '));
      const gone = await store.cancelInvite(target.invite_id.slice(0, 8));
      const after = await store.invites();
      return { forColleague, forDevice, open, target, none, empty, gone, after };
    });
    const atB = await b.page.evaluate(() => window.store.invites());
    const refusedJoin = await b.page.evaluate(async (code) => {
      const other = window.trellis.TrellisStore.openInMemory();
      other.init('Someone');
      const refused = await codeOf(() => other.join(code, null));
      return { refused, workspaces: other.workspaces() };
    }, cancelled.forColleague);
    assert.deepEqual(
      cancelled.open.map((i) => [i.device, i.role, i.made_here]).sort(),
      [[false, 'admin', true], [true, 'owner', true]],
      JSON.stringify(cancelled.open),
    );
    assert.deepEqual(
      atB.map((i) => [i.invite_id, i.made_here, i.invited_by]),
      cancelled.after.map((i) => [i.invite_id, false, 'Dana']),
      JSON.stringify(atB),
    );
    assert.equal(cancelled.none.code, 'not_found', JSON.stringify(cancelled.none));
    assert.equal(cancelled.empty.code, 'invalid_input', JSON.stringify(cancelled.empty));
    assert.equal(cancelled.gone.invite_id, cancelled.target.invite_id);
    assert.deepEqual(cancelled.after.map((i) => i.device), [true], 'the cancelled invite is no longer open');
    assert.ok(refusedJoin.refused, 'a join with a cancelled code is refused');
    assert.equal(refusedJoin.refused.code, 'relay', JSON.stringify(refusedJoin.refused));
    assert.match(refusedJoin.refused.message, /cancelled/, 'the relay answers 410: used, expired or cancelled');
    assert.deepEqual(refusedJoin.workspaces, [], 'the refused join left no workspace');
    step('A listed its open invites and cancelled one: a join with its code is refused');

    // Fingerprints: each device's own, as the other's roster shows it; A records B's as checked
    // face to face (a mistyped one refused with code conflict, nothing recorded).
    const samsFingerprint = await b.page.evaluate(() => window.store.fingerprint());
    const checked = await a.page.evaluate(async (sams) => {
      const store = window.store;
      const mine = store.fingerprint();
      const before = await store.roster();
      const wrong = sams.slice(0, -1) + String((Number(sams.at(-1)) + 1) % 10);
      const mistyped = await codeOf(() => store.verifyMember('Sam', wrong));
      const notDigits = await codeOf(() => store.verifyMember('Sam', '12345'));
      const afterWrong = await store.roster();
      const sam = store.verifyMember('Sam', sams);
      const after = await store.roster();
      const status = store.status();
      return { mine, before, mistyped, notDigits, afterWrong, sam, after, status };
    }, samsFingerprint);
    const danaAtB = await b.page.evaluate(async () => (await window.store.roster()).find((m) => m.name === 'Dana'));
    const device = (roster, name) => roster.find((m) => m.name === name).devices[0];
    assert.match(checked.mine, /^\d{5} \d{5} \d{5} \d{5}$/);
    assert.equal(device(checked.before, 'Dana').fingerprint, checked.mine);
    assert.equal(device(checked.before, 'Dana').this_device, true);
    assert.equal(device(checked.before, 'Sam').fingerprint, samsFingerprint);
    assert.equal(device(checked.before, 'Sam').verified, false);
    assert.equal(danaAtB.devices[0].fingerprint, checked.mine, "B's roster shows A's fingerprint");
    assert.equal(checked.mistyped.code, 'conflict', JSON.stringify(checked.mistyped));
    assert.equal(checked.notDigits.code, 'invalid_input', JSON.stringify(checked.notDigits));
    assert.equal(device(checked.afterWrong, 'Sam').verified, false, 'a mistyped fingerprint records nothing');
    assert.equal(checked.sam.name, 'Sam');
    assert.equal(checked.sam.devices[0].verified, true);
    assert.equal(checked.sam.unverified_device, false);
    assert.equal(device(checked.after, 'Sam').verified, true);
    assert.equal(danaAtB.devices[0].verified, false, 'the check is kept on the device that made it');
    assert.equal(checked.status.roster_problem, null);
    assert.equal(checked.status.roster_refused, 0);
    step("A verified B's fingerprint; a mistyped one was refused");

    // Profile cards from JavaScript: A writes hers (an unknown field, a ZIP of five digits and
    // a waitlist of no weeks refused, nothing stored), syncs; B reads it by name, in the list
    // of cards and as a vCard; choices() holds the closed lists a card picks from.
    const cards = await a.page.evaluate(async () => {
      const store = window.store;
      const empty = store.profile();
      const written = store.setProfile({
        specialties: ['anxiety', 'school-issues'],
        age_bands: ['13-17'],
        telehealth: ['ma'],
        zip3: '010',
        self_pay: { min: 80, max: 150 },
        openings: { status: 'waitlist', weeks: 3 },
        pitch: 'I help teens with anxiety get back to school.',
      });
      const pending = store.status().pending_changes;
      const unknown = await codeOf(() => store.setProfile({ zip: '010' }));
      const badZip = await codeOf(() => store.setProfile({ zip3: '01002', openings: { status: 'full' } }));
      const noWeeks = await codeOf(() => store.setProfile({ openings: { status: 'waitlist', weeks: 0 } }));
      const after = store.profile();
      const pendingAfter = store.status().pending_changes;
      const cleared = store.setProfile({ self_pay: null });
      const report = await store.sync();
      return { empty, written, pending, unknown, badZip, noWeeks, after, pendingAfter, cleared, report };
    });
    const cardsAtB = await b.page.evaluate(async () => {
      const store = window.store;
      await store.sync();
      const choices = window.trellis.TrellisStore.choices();
      return {
        dana: store.profile('Dana'),
        all: store.profiles(),
        vcard: store.profileVcard('Dana'),
        mine: store.profile(undefined),
        choices: Object.fromEntries(
          ['specialties', 'populations', 'age_bands', 'modalities', 'panels', 'languages', 'credentials', 'us_states'].map((k) => [k, choices[k]]),
        ),
      };
    });
    assert.equal(cards.empty.mine, true);
    assert.equal(cards.empty.openings_stale, true, 'an empty card asks whether she has room');
    assert.deepEqual(cards.written.card.specialties, ['anxiety', 'school-issues']);
    assert.deepEqual(cards.written.card.telehealth, ['MA']);
    assert.deepEqual(cards.written.card.openings, { status: 'waitlist', weeks: 3 });
    assert.equal(cards.written.openings_stale, false, 'just confirmed');
    for (const refused of [cards.unknown, cards.badZip, cards.noWeeks]) assert.equal(refused.code, 'invalid_input', JSON.stringify(refused));
    assert.match(cards.unknown.message, /zip/);
    assert.match(cards.badZip.message, /first three digits of a ZIP code/);
    assert.deepEqual(cards.after, cards.written, 'a refused card stores nothing');
    assert.equal(cards.pendingAfter, cards.pending, 'and writes no change');
    assert.equal(cards.cleared.card.self_pay, null, 'null clears');
    assert.equal(cards.cleared.card.zip3, '010', 'a field left out stays');
    assert.equal(cardsAtB.dana.mine, false);
    assert.equal(cardsAtB.dana.name, 'Dana');
    assert.deepEqual(cardsAtB.dana.card, cards.cleared.card);
    assert.deepEqual(cardsAtB.all.map((p) => p.name), ['Dana'], 'only cards written are listed');
    assert.equal(cardsAtB.mine.name, 'Sam');
    assert.match(cardsAtB.vcard, /^BEGIN:VCARD\r\nVERSION:4\.0\r\n/);
    assert.match(cardsAtB.vcard, /X-TRELLIS-OPENINGS:waitlist:3/);
    assert.ok(cardsAtB.choices.specialties.includes('trauma-ptsd') && cardsAtB.choices.age_bands.includes('65+'), JSON.stringify(cardsAtB.choices));
    assert.equal(cardsAtB.choices.us_states.length, 51);
    for (const [k, list] of Object.entries(cardsAtB.choices)) assert.ok(list.length > 0, k);
    step("A wrote her card (refused ones stored nothing); B reads it, in the list and as a vCard");

    // The exchange's bindings: its closed lists in choices(); a need is for a region's store (a
    // practice's refuses it), and one that is not a need is refused before the core sees it.
    const exchange = await b.page.evaluate(async () => {
      const choices = window.trellis.TrellisStore.choices();
      const need = { service: 'individual', age_band: '26-64', urgency: 'soon', payer: 'self-pay' };
      return {
        lists: ['services', 'urgencies', 'whens', 'fits', 'outcomes'].map((k) => choices[k]),
        notice: choices.part2_notice,
        max: choices.max_post_text_chars,
        onPractice: await codeOf(() => window.store.postNeed(need)),
        notANeed: await codeOf(() => window.store.postNeed({ ...need, service: 'massage' })),
        badFilter: await codeOf(() => window.store.posts({ fits: true })),
      };
    });
    assert.deepEqual(exchange.lists[3], ['yes', 'waitlist', 'no']);
    assert.deepEqual(exchange.lists[4], ['connected', 'not-placed', 'withdrawn']);
    for (const list of exchange.lists) assert.ok(list.length > 0);
    assert.match(exchange.notice, /42 CFR Part 2/);
    assert.equal(exchange.max, 280);
    assert.equal(exchange.onPractice.code, 'invalid_input', JSON.stringify(exchange.onPractice));
    assert.match(exchange.onPractice.message, /posted to a region/);
    assert.equal(exchange.notANeed.code, 'invalid_input');
    assert.doesNotMatch(exchange.notANeed.message, /massage/, 'the value given is not echoed');
    assert.equal(exchange.badFilter.code, 'invalid_input');
    step('the exchange\'s lists in choices(); a need on a practice\'s store and a malformed one refused');

    // A durable store needs a dedicated worker: on the page it is refused with a clear code.
    // (The app's own worker holds one on OPFS; tests/app.mjs reloads the app and finds it.)
    const onPage = await a.page.evaluate(() =>
      codeOf(() => window.trellis.TrellisStore.openDurable('elsewhere.sqlite3')),
    );
    assert.equal(onPage.code, 'storage', JSON.stringify(onPage));
    step('a durable store is refused outside a worker');


    // Offline: the relay gone, a sync rejects with code network and loses nothing.
    await relay.stop();
    const offline = await a.page.evaluate(async () => {
      window.store.logActivity({ kind: 'email', contacts: ['Rosa'], minutes: 3 });
      const failed = await codeOf(() => window.store.sync());
      return { failed, pending: window.store.status().pending_changes };
    });
    assert.equal(offline.failed.code, 'network', JSON.stringify(offline.failed));
    assert.ok(offline.pending > 0, 'the change waits');
    step('offline sync kept the change');

    assert.deepEqual(problems, [], 'no page errors');
    step('web story: ok');
  } finally {
    await browser.close();
    await relay.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

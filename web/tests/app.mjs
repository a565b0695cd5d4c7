// The app's stories in a real browser, against a real relay and the CLI as a colleague's
// device (docs/WEB.md, "What was verified"):
//
// 1. On a phone-sized screen, a therapist joins a practice made with the CLI by pasting the
//    invite code: the app waits for the practice's keys (a reload comes back to the waiting
//    screen, and "Sync now" before Dana's device let her in keeps waiting) until Dana's device
//    syncs and hers, at "Sync now", opens the practice. She goes offline (the browser offline
//    and the relay down), logs a drop-by,
//    reloads while offline (the service worker opens the app, and the visit is still there),
//    comes back online, and the CLI device sees the visit.
//    Lee joins on her desktop the same way, and her browser opens the practice by itself once
//    Dana's device synced (its own retry, no tap). Both browsers then hold the relay's live
//    socket, and a call Dana logs on the command line reaches them without a tap.
// 2. Two browser profiles (Sam's phone, Lee's desktop) and the CLI (Dana) edit the same
//    contact while the relay is down (stage, notes, her phone, her role), then sync, and all
//    three show the same contact.
// 3. axe-core finds no serious or critical violation on any screen (the setup and waiting
//    screens too), at phone and desktop sizes; with SCREENSHOTS set to a directory, each main
//    screen is saved there at both sizes (docs/screenshots/ holds the ones kept). Sam's card
//    says nothing yet: My card asks whether he is taking new clients, he answers in one tap,
//    and Dana's command line sees it.
// Two tabs of one browser share the store: the second follows the first and takes over when it
// closes.
// 4. An owner starts a practice in the browser, invites a colleague (the code and its QR code,
//    and the invite listed as open), the colleague joins on the command line and waits for the
//    keys until the owner's browser syncs; the owner cancels another open invite on the Members
//    screen, and a join with its code fails; face to face, the owner types the fingerprint the
//    colleague's device shows (`trellis workspace fingerprint`) on the Members screen: a misheard
//    one is refused, the right one marks the device verified (axe-core on that screen); the
//    colleague adds a laptop, which the owner's screen flags as verified by nobody; the owner
//    writes her profile card on My card and the colleague's `trellis profile show` reads it
//    after a sync; a ZIP of five digits is refused with the core's sentence, what she typed
//    stays, and nothing is stored; her vCard downloads (a Blob) as the CLI writes it, beside its
//    QR code; the colleague's card, set on the command line, shows in the browser after "Sync
//    now" (from Members and from the list of cards); the owner revokes the colleague's first
//    device: its next sync is refused.
// Every join is: invite, join (the joiner waits for the keys), the inviter's device syncs (it
// hands the keys over), then the joiner's.
// At the end the relay's files hold no name or note of any of it in the clear.
//
// Needs TRELLIS_BIN_DIR (trellis-relay and trellis) and CHROMIUM; run by scripts/web.sh.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { cli, launch, newContext, SECRET, startRelay, step } from './lib.mjs';

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const shots = process.env.SCREENSHOTS;
const PHONE = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1280, height: 800 } };
// Expect a user-visible state within this long (the relay and wasm are local; CI is slow).
const SOON = { timeout: 20_000 };
// The waiting screen's title.
const WAITING = "Waiting for a colleague's device to let this one in";
// Ada's pitch on her profile card.
const PITCH = 'I help teens with anxiety get back to school.';

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-app-'));
  const relayData = path.join(tmp, 'relay');
  let relay = await startRelay(relayData);
  const origin = relay.url;
  const dana = path.join(tmp, 'dana');
  step(`relay at ${origin}`);

  // Dana, on the command line, starts the practice and invites Sam.
  await cli(dana, 'init', '--name', 'Dana');
  await cli(dana, 'workspace', 'create', 'Maple Street Counseling', '--relay', origin);
  await cli(dana, 'org', 'add', 'Lincoln Middle School', '--kind', 'school');
  await cli(dana, 'contact', 'add', 'Rosa Jimenez', '--org', 'Lincoln', '--category', 'school-counselor', '--needs', 'teens with anxiety');
  await cli(dana, 'sync');
  const { code } = await cli(dana, 'workspace', 'invite');
  step('Dana started the practice on the command line');

  const browser = await launch();
  const problems = [];
  try {
    // 1. Sam, on her phone.
    const phone = await newContext(browser, origin, problems, PHONE);
    const page = await phone.newPage();
    await page.goto(origin);
    await page.getByLabel('Your name').fill('Sam');
    await page.getByLabel('Invite code').fill(code);
    await page.getByRole('button', { name: 'Join' }).click();
    // Joined, but the code holds no key: the app waits for a device of the practice to let
    // this one in, asking by itself and at "Sync now" (which keeps waiting for now).
    await page.getByRole('heading', { name: WAITING, level: 1 }).waitFor(SOON);
    const waitingStatus = page.getByRole('status').filter({ hasText: 'Not let in yet' });
    await waitingStatus.waitFor(SOON);
    await page.getByRole('button', { name: 'Sync now' }).click();
    await waitingStatus.filter({ hasText: 'checked just now' }).waitFor(SOON);
    assert.equal(await page.getByRole('heading', { name: WAITING, level: 1 }).count(), 1, 'still waiting');
    await page.getByRole('region', { name: "This device's fingerprint" }).waitFor(SOON);
    await check(page, 'waiting', 'phone');
    // A reload comes back to the waiting screen.
    await page.reload();
    await page.getByRole('heading', { name: WAITING, level: 1 }).waitFor(SOON);
    await waitingStatus.waitFor(SOON);
    step('Sam joined from her phone with the code: the app waits for the keys, also after a reload');
    // Dana's device syncs (it hands the practice's keys to Sam's), then Sam's: the practice opens.
    const handed = await cli(dana, 'sync');
    assert.equal(handed.keys_granted, 1, `Dana's sync handed the keys over: ${JSON.stringify(handed)}`);
    await page.getByRole('button', { name: 'Sync now' }).click();
    await page.getByRole('heading', { name: 'Today', level: 1 }).waitFor(SOON);
    const status = page.getByRole('status').filter({ hasText: /Synced|Offline|waiting|Syncing/ });
    await status.filter({ hasText: 'Synced' }).waitFor(SOON);
    assert.equal(await page.locator('.practice').textContent(), 'Maple Street Counseling');
    // The service worker has the app shell before the story goes offline.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, SOON);
    step("Dana's device synced, then Sam's: the practice opened on her phone");

    // Offline: the phone has no signal, and the relay is down too.
    await phone.setOffline(true);
    await relay.stop();
    await status.filter({ hasText: 'Offline' }).waitFor(SOON);
    await page.getByRole('button', { name: 'Log drop-by' }).click();
    await page.getByLabel('Organization').fill('Lincoln Middle School');
    await page.getByRole('checkbox', { name: 'Rosa Jimenez' }).check();
    await page.getByLabel('Minutes').fill('20');
    const note = page.getByLabel('Note');
    assert.match((await note.getAttribute('aria-describedby')) ?? '', /./, 'the note field has its hint');
    await note.fill('Brought flyers for the spring parent night');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Today' }).waitFor(SOON);
    await status.filter({ hasText: /Offline · 1 change waiting|Offline · \d+ changes waiting/ }).waitFor(SOON);
    step('offline, Sam logged a drop-by: it waits');

    // Reloaded with no network: the service worker opens the app; the visit is on the phone.
    await page.reload();
    await page.getByRole('heading', { name: 'Today' }).waitFor(SOON);
    await status.filter({ hasText: 'Offline' }).waitFor(SOON);
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('link', { name: /Rosa Jimenez/ }).click();
    await page.getByText('Brought flyers for the spring parent night').waitFor(SOON);
    step('reloaded offline: the app opened and the visit is there');

    // Back online: the relay is up again on the same port and data, the phone has signal.
    relay = await startRelay(relayData, new URL(origin).host);
    await phone.setOffline(false);
    await status.filter({ hasText: 'Synced' }).waitFor(SOON);
    assert.doesNotMatch(await status.textContent(), /waiting/);
    await cli(dana, 'sync');
    const activities = await cli(dana, 'activity', 'list');
    const visit = activities.find((a) => a.note === 'Brought flyers for the spring parent night');
    assert.ok(visit, `Dana sees Sam's visit: ${JSON.stringify(activities)}`);
    assert.equal(visit.logged_by, 'Sam');
    assert.equal(visit.kind, 'drop-by');
    assert.equal(visit.minutes, 20);
    assert.equal(visit.organization, 'Lincoln Middle School');
    assert.deepEqual(visit.contacts, ['Rosa Jimenez']);
    step("back online, it synced by itself: Dana's command line shows Sam's drop-by");

    // Lee joins on her desktop (the setup screen checked by axe-core first).
    const desktop = await newContext(browser, origin, problems, DESKTOP);
    const lee = await desktop.newPage();
    await lee.goto(origin);
    await lee.getByRole('heading', { name: 'Welcome to Trellis' }).waitFor(SOON);
    await check(lee, 'setup', 'desktop');
    const { code: forLee } = await cli(dana, 'workspace', 'invite');
    await lee.getByLabel('Your name').fill('Lee');
    await lee.getByLabel('Invite code').fill(forLee);
    await lee.getByRole('button', { name: 'Join' }).click();
    await lee.getByRole('heading', { name: WAITING, level: 1 }).waitFor(SOON);
    await check(lee, 'waiting', 'desktop');
    // Dana's device syncs; Lee's browser asks again by itself (no tap) and opens the practice.
    await cli(dana, 'sync');
    await lee.getByRole('heading', { name: 'Today', level: 1 }).waitFor({ timeout: 60_000 });
    await lee.getByRole('status').filter({ hasText: 'Synced' }).waitFor(SOON);
    assert.equal(await lee.locator('.practice').textContent(), 'Maple Street Counseling');
    step("Lee joined on her desktop: once Dana's device synced, her browser let itself in");

    // Live: both browsers hold the relay's live socket, so Dana's call, pushed on the command
    // line, shows in each without a tap (the timer would sync only every five minutes now).
    for (const p of [page, lee]) await p.getByRole('status').filter({ hasText: 'live' }).waitFor(SOON);
    await cli(dana, 'log', 'call', '--contact', 'Rosa', '--minutes', '5', '--note', 'Rosa called back about the parent night');
    await cli(dana, 'sync');
    for (const p of [page, lee]) {
      await p.goto(`${origin}/#/contacts`);
      await p.getByRole('link', { name: /Rosa Jimenez/ }).click();
      await p.getByText('Rosa called back about the parent night').waitFor(SOON);
    }
    step("live: Dana's call from the command line reached both browsers by itself");

    // 2. The relay goes down; Sam, Lee and Dana each edit Rosa.
    await relay.stop();
    await phone.setOffline(true);
    await desktop.setOffline(true);
    const rosa = async (p) => {
      await p.goto(`${origin}/#/contacts`);
      await p.getByRole('link', { name: /Rosa Jimenez/ }).click();
      await p.getByRole('heading', { name: 'Rosa Jimenez', level: 1 }).waitFor(SOON);
    };
    const addNote = async (p, text) => {
      await p.getByLabel('New note').fill(text);
      await p.getByRole('button', { name: 'Add note' }).click();
      await p.getByText(text).waitFor(SOON);
    };
    await rosa(page);
    await page.getByLabel('Stage').selectOption('connected');
    await addNote(page, 'Sam: she asked for the parent night date');
    await rosa(lee);
    await lee.getByLabel('Stage').selectOption('referring');
    await addNote(lee, 'Lee: sent two teens our way');
    await lee.getByRole('button', { name: 'Edit details' }).click();
    await lee.getByLabel('Phones').fill('555-0142');
    await lee.getByRole('button', { name: 'Save details' }).click();
    await lee.getByRole('link', { name: '555-0142' }).waitFor(SOON);
    await cli(dana, 'contact', 'note', 'Rosa', '--append', 'Dana: coffee next month');
    await cli(dana, 'contact', 'edit', 'Rosa', '--role', 'Head counselor');
    step('offline, the same contact edited in two browsers and on the command line');

    relay = await startRelay(relayData, new URL(origin).host);
    await phone.setOffline(false);
    await desktop.setOffline(false);
    await cli(dana, 'sync');
    // Each browser syncs by itself once back online; "Sync now" until each shows all three
    // notes (a browser may have pulled before the other pushed).
    const notes = ['Dana: coffee next month', 'Lee: sent two teens our way', 'Sam: she asked for the parent night date'];
    for (const p of [page, lee]) {
      await rosa(p);
      await eventually(`${p === page ? 'Sam' : 'Lee'} sees every note`, async () => {
        await p.getByRole('button', { name: 'Sync now' }).click();
        for (const text of notes) if ((await p.getByText(text).count()) === 0) return false;
        // Fields edited on different devices both hold.
        return (await p.getByRole('link', { name: '555-0142' }).count()) === 1 && (await p.getByText(/Head counselor/).count()) > 0;
      });
    }
    await cli(dana, 'sync');
    const shown = await cli(dana, 'contact', 'show', 'Rosa');
    assert.deepEqual(shown.notes.map((n) => n.text).sort(), notes);
    assert.deepEqual(shown.phones, ['555-0142']);
    assert.equal(shown.role, 'Head counselor');
    for (const p of [page, lee]) {
      await eventually('the same stage everywhere', async () => {
        await p.getByRole('button', { name: 'Sync now' }).click();
        return (await p.getByLabel('Stage').inputValue()) === shown.stage;
      });
    }
    assert.ok(['connected', 'referring'].includes(shown.stage), shown.stage);
    step(`back online, all three converge: three notes, Lee's phone, Dana's role, stage ${shown.stage}`);

    // A second visit in two taps from Today (the place is a chip there), and a third from
    // "Places near me" where the phone is (the school's location, set on the command line).
    await page.goto(`${origin}/#/today`);
    await page.getByRole('group', { name: 'Drop by again' }).getByRole('link', { name: 'Lincoln Middle School' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Drop by saved at Lincoln Middle School.').waitFor(SOON);
    await cli(dana, 'org', 'locate', 'Lincoln', '--lat', '42.3732', '--lon', '-72.5199');
    await cli(dana, 'sync');
    await phone.grantPermissions(['geolocation'], { origin });
    await phone.setGeolocation({ latitude: 42.3735, longitude: -72.5195 });
    await eventually('the school has its location on the phone', async () => {
      await page.getByRole('button', { name: 'Sync now' }).click();
      await page.goto(`${origin}/#/log`);
      await page.getByRole('button', { name: 'Places near me' }).click();
      await page.waitForTimeout(300);
      return (await page.getByRole('button', { name: /^Lincoln Middle School \(0\.\d km\)$/ }).count()) === 1;
    });
    await page.getByRole('button', { name: /^Lincoln Middle School \(0\.\d km\)$/ }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Drop by saved at Lincoln Middle School.').waitFor(SOON);
    await cli(dana, 'sync');
    await eventually("Dana sees Sam's two quick visits", async () => {
      await cli(dana, 'sync');
      const all = await cli(dana, 'activity', 'list');
      return all.filter((a) => a.logged_by === 'Sam' && a.organization === 'Lincoln Middle School').length === 3;
    });
    step('two more drop-bys: two taps from Today, and from "Places near me"');

    // 3. Every screen, at both sizes: axe-core, and screenshots when asked.
    for (const [size, p] of [['phone', page], ['desktop', lee]]) {
      for (const [screen, heading] of [
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
      ]) {
        await p.goto(`${origin}/#/${screen}`);
        await p.getByRole('heading', { name: heading, level: 1 }).waitFor(SOON);
        await p.waitForFunction(() => !document.body.textContent.includes('Loading…'), null, SOON);
        await check(p, screen, size);
      }
      await rosa(p);
      await check(p, 'contact', size);
      step(`axe-core: no serious or critical violation on any screen (${size})`);
    }

    // Sam's card says nothing yet: My card asks whether he is taking new clients, and he
    // answers in one tap on his phone; Dana's command line sees it after a sync.
    await page.goto(`${origin}/#/card`);
    const nudge = page.getByRole('region', { name: 'Are you still taking new clients?' });
    await nudge.getByRole('button', { name: 'Yes, accepting' }).click();
    await page.getByText('Openings confirmed.').waitFor(SOON);
    await nudge.waitFor({ state: 'detached', ...SOON });
    assert.equal(await page.getByRole('radio', { name: 'Accepting new clients' }).isChecked(), true);
    const specialties = page.locator('summary', { hasText: 'Specialties' });
    await specialties.click();
    await page.getByRole('group', { name: 'Specialties' }).getByRole('checkbox', { name: 'Anxiety', exact: true }).waitFor(SOON);
    await specialties.evaluate((e) => e.scrollIntoView({ block: 'center' }));
    await check(page, 'card-open', 'phone');
    await eventually("Dana sees Sam's openings", async () => {
      await cli(dana, 'sync');
      return (await cli(dana, 'profile', 'show', 'Sam')).card.openings?.status === 'accepting';
    });
    step("Sam answered My card's nudge in one tap: Dana's command line shows him accepting");

    // Two tabs of one browser: the second follows the first, which holds the store, and takes
    // over when it closes.
    const lee2 = await desktop.newPage();
    await lee2.goto(`${origin}/#/log`);
    await lee2.getByRole('heading', { name: 'Log drop-by', level: 1 }).waitFor(SOON);
    await lee2.getByLabel('Organization').fill('Lincoln Middle School');
    await lee2.getByLabel('Note').fill('Logged from a second tab');
    await lee2.getByRole('button', { name: 'Save' }).click();
    await lee2.getByText('Drop by saved at Lincoln Middle School.').waitFor(SOON);
    const search = async (p, query, expected) => {
      await p.goto(`${origin}/#/search`);
      await p.getByLabel('Search names and notes').fill(query);
      await p.getByRole('button', { name: 'Search', exact: true }).click();
      await p.getByRole('list', { name: 'Results' }).getByText(expected).waitFor(SOON);
    };
    await search(lee, 'second tab', 'Lincoln Middle School');
    step('the first tab finds what the second logged');
    await lee.close();
    await lee2.goto(`${origin}/#/log`);
    await lee2.getByLabel('Organization').fill('Lincoln Middle School');
    await lee2.getByLabel('Note').fill('Logged after the first tab closed');
    await lee2.getByRole('button', { name: 'Save' }).click();
    await lee2.getByText('Drop by saved at Lincoln Middle School.').waitFor(SOON);
    await lee2.reload();
    await lee2.getByRole('heading', { name: 'Log drop-by', level: 1 }).waitFor(SOON);
    await search(lee2, 'first tab closed', 'Lincoln Middle School');
    await eventually("Dana sees both of Lee's tabs' visits", async () => {
      await cli(dana, 'sync');
      const notes = (await cli(dana, 'activity', 'list')).map((a) => a.note);
      return notes.includes('Logged from a second tab') && notes.includes('Logged after the first tab closed');
    });
    step('a second tab followed the first, and took the store over when it closed');

    // 4. Ada runs her own practice from the browser: starts it, invites Kim, later revokes
    // Kim's device.
    const owner = await newContext(browser, origin, problems, DESKTOP);
    const ada = await owner.newPage();
    await ada.goto(origin);
    await ada.getByLabel('Your name').fill('Ada');
    await ada.getByLabel('Practice name').fill('Riverside Family Therapy');
    await ada.getByLabel('Signup secret').fill(SECRET);
    await ada.getByRole('button', { name: 'Start practice' }).click();
    await ada.getByRole('heading', { name: 'Today' }).waitFor(SOON);
    await ada.getByRole('link', { name: 'Members' }).click();
    await ada.getByRole('button', { name: 'Invite a colleague' }).click();
    const invite = await ada.getByLabel('New invite code').inputValue();
    await ada.getByRole('img', { name: 'QR code of the invite code' }).waitFor(SOON);
    const openInvites = ada.getByRole('list', { name: 'Open invites' });
    await openInvites.getByRole('listitem').filter({ hasText: '(the code above)' }).waitFor(SOON);
    const kim = path.join(tmp, 'kim');
    await cli(kim, 'init', '--name', 'Kim');
    // Kim joins on the command line and waits for the keys.
    const joined = await cli(kim, 'workspace', 'join', invite);
    assert.equal(joined.awaiting_keys, true, JSON.stringify(joined));
    assert.equal(joined.workspace.name, '', 'no name before the keys');
    const early = await cli(kim, 'sync').then(
      () => null,
      (e) => e,
    );
    assert.ok(early, "Kim's sync before Ada's device let her in is refused");
    assert.match(early.stderr + early.stdout, /awaiting_keys|waiting for its keys/, early.stderr);
    // Ada's browser syncs (it hands the practice's keys to Kim's device), then Kim's.
    await syncNow(ada);
    const inKim = await cli(kim, 'sync');
    assert.ok(inKim.pulled > 0, JSON.stringify(inKim));
    const kimsWorkspaces = await cli(kim, 'workspace', 'list');
    assert.equal(kimsWorkspaces.find((w) => w.current).name, 'Riverside Family Therapy');
    // The invite was used: no longer open on Ada's Members screen.
    await ada.getByText('No open invites.').waitFor(SOON);
    await cli(kim, 'log', 'call', '--minutes', '5', '--note', 'Intro call with the pediatric clinic');
    await cli(kim, 'sync');
    step("Ada started a practice in the browser and invited Kim, who joined on the command line and got the keys at Ada's sync");

    // An invite that went astray: Ada makes one, sees it open, and cancels it on Members; a join
    // with its code then fails.
    await ada.getByRole('button', { name: 'Invite a colleague' }).click();
    await ada.waitForFunction((old) => ![undefined, '', old].includes(document.getElementById('invite-code')?.value), invite, SOON);
    const astray = await ada.getByLabel('New invite code').inputValue();
    const astrayRow = openInvites.getByRole('listitem').filter({ hasText: '(the code above)' });
    await astrayRow.waitFor(SOON);
    await ada.waitForFunction(() => !document.body.textContent.includes('Loading…'), null, SOON);
    await astrayRow.scrollIntoViewIfNeeded();
    await check(ada, 'members-invites', 'desktop');
    const cancelButton = astrayRow.getByRole('button', { name: /^Cancel invite [0-9a-f]{8}$/ });
    const astrayId = (await cancelButton.getAttribute('aria-label')).slice('Cancel invite '.length);
    const listed = await cli(kim, 'workspace', 'invite', 'list');
    assert.deepEqual(
      listed.map((i) => i.invite_id.slice(0, 8)),
      [astrayId],
      `the CLI lists the same open invite: ${JSON.stringify(listed)}`,
    );
    await cancelButton.click();
    await ada.getByText('No open invites.').waitFor(SOON);
    assert.equal(await ada.getByLabel('New invite code').count(), 0, 'the cancelled code is no longer shown');
    const stranger = path.join(tmp, 'stranger');
    await cli(stranger, 'init', '--name', 'Stranger');
    const refusedJoin = await cli(stranger, 'workspace', 'join', astray).then(
      () => null,
      (e) => e,
    );
    assert.ok(refusedJoin, 'a join with the cancelled code fails');
    assert.match(refusedJoin.stderr + refusedJoin.stdout, /cancelled/, refusedJoin.stderr);
    assert.deepEqual(await cli(stranger, 'workspace', 'list'), [], 'the refused join left no workspace');
    step('Ada cancelled an open invite on Members: a join with its code fails');

    // Face to face, Kim reads out the fingerprint her device shows; Ada types it on Members.
    // Each side's roster shows the other's fingerprint as that device shows it.
    const { fingerprint: kims } = await cli(kim, 'workspace', 'fingerprint');
    assert.match(kims, /^\d{5} \d{5} \d{5} \d{5}$/);
    await ada.reload();
    await ada.getByRole('heading', { name: 'Members' }).waitFor(SOON);
    const kimRow = ada.getByRole('listitem').filter({ has: ada.getByText('Kim', { exact: true }) });
    await kimRow.getByText(kims).waitFor(SOON);
    const adas = (await ada.getByRole('region', { name: "This device's fingerprint" }).locator('.fingerprint').textContent()).trim();
    const atKim = await cli(kim, 'workspace', 'members');
    assert.equal(atKim.find((m) => m.name === 'Ada').devices[0].fingerprint, adas, "Kim's roster shows the fingerprint Ada's browser shows");
    assert.equal(await kimRow.getByText('Not verified').count(), 1);
    // A digit misheard: refused, nothing recorded.
    const wrong = kims.slice(0, -1) + String((Number(kims.at(-1)) + 1) % 10);
    await ada.getByLabel('Colleague', { exact: true }).selectOption({ label: 'Kim' });
    await ada.getByLabel('Fingerprint', { exact: true }).fill(wrong);
    await ada.getByRole('button', { name: 'Verify', exact: true }).click();
    await ada.getByRole('alert').filter({ hasText: /fingerprint is none of this member's devices/ }).waitFor(SOON);
    assert.equal(await kimRow.getByText('Verified', { exact: true }).count(), 0);
    // Read again, typed right: Kim's device shows as verified, and stays so after a reload.
    await ada.getByLabel('Fingerprint', { exact: true }).fill(kims.replaceAll(' ', ''));
    await ada.getByRole('button', { name: 'Verify', exact: true }).click();
    await ada.getByText("Kim's device is verified on this device.").waitFor(SOON);
    await kimRow.getByText('Verified', { exact: true }).waitFor(SOON);
    await ada.reload();
    await kimRow.getByText('Verified', { exact: true }).waitFor(SOON);
    await ada.waitForFunction(() => !document.body.textContent.includes('Loading…'), null, SOON);
    await check(ada, 'members-verified', 'desktop');
    step("face to face, Ada verified Kim's fingerprint in the browser (a misheard one refused)");

    // Kim adds a laptop; on Ada's Members screen she is flagged: a device nobody there verified.
    const { code: forLaptop } = await cli(kim, 'workspace', 'invite', '--device');
    const kimLaptop = path.join(tmp, 'kim-laptop');
    await cli(kimLaptop, 'init', '--name', 'Kim');
    await cli(kimLaptop, 'workspace', 'join', forLaptop);
    await cli(kim, 'sync');
    await cli(kimLaptop, 'sync');
    await ada.reload();
    await ada.getByText('Kim has a new device nobody here verified').waitFor(SOON);
    await ada.waitForFunction(() => !document.body.textContent.includes('Loading…'), null, SOON);
    await check(ada, 'members-flagged', 'desktop');
    step("Kim's new laptop, verified by nobody, is flagged on Ada's Members screen");

    // Ada writes her profile card in the browser; Kim's command line reads it after a sync.
    await ada.getByRole('link', { name: 'My card' }).click();
    await ada.getByRole('heading', { name: 'My card', level: 1 }).waitFor(SOON);
    const adasNudge = ada.getByRole('region', { name: 'Are you still taking new clients?' });
    await adasNudge.waitFor(SOON);
    const pick = async (group, names) => {
      await ada.locator('summary', { hasText: group }).click();
      for (const name of names) await ada.getByRole('group', { name: group }).getByRole('checkbox', { name, exact: true }).check();
    };
    await pick('Specialties', ['Anxiety', 'School problems']);
    await pick('Age bands', ['Ages 13–17']);
    await pick('Modalities', ['CBT']);
    await pick('Insurance panels', ['Aetna', 'Blue Cross Blue Shield']);
    await pick('Languages', ['English', 'Spanish']);
    await pick('Credentials', ['LCSW']);
    await pick('Telehealth states', ['MA']);
    await ada.getByRole('radio', { name: 'Waitlist' }).check();
    await ada.getByLabel('Weeks on the waitlist').fill('3');
    const zip = ada.getByLabel('ZIP code (first 3 digits)');
    await zip.fill('010');
    await ada.getByLabel('From ($)').fill('80');
    await ada.getByLabel('To ($)').fill('150');
    const pitch = ada.getByLabel('Your pitch');
    await pitch.fill(PITCH);
    await ada.getByRole('button', { name: 'Save card' }).click();
    await ada.getByText('Card saved.').waitFor(SOON);
    await adasNudge.waitFor({ state: 'detached', ...SOON });
    await ada.evaluate(() => scrollTo(0, 0));
    await check(ada, 'card-saved', 'desktop');
    await syncNow(ada);
    await cli(kim, 'sync');
    const adasCard = await cli(kim, 'profile', 'show', 'Ada');
    assert.equal(adasCard.name, 'Ada');
    assert.equal(adasCard.mine, false);
    assert.deepEqual(adasCard.card.specialties, ['anxiety', 'school-issues']);
    assert.deepEqual(adasCard.card.age_bands, ['13-17']);
    assert.deepEqual(adasCard.card.modalities, ['cbt']);
    assert.deepEqual(adasCard.card.panels, ['aetna', 'bcbs']);
    assert.deepEqual(adasCard.card.languages, ['en', 'es']);
    assert.deepEqual(adasCard.card.credentials, ['lcsw']);
    assert.deepEqual(adasCard.card.telehealth, ['MA']);
    assert.equal(adasCard.card.zip3, '010');
    assert.deepEqual(adasCard.card.self_pay, { min: 80, max: 150 });
    assert.deepEqual(adasCard.card.openings, { status: 'waitlist', weeks: 3 });
    assert.equal(adasCard.card.pitch, PITCH);
    assert.equal(adasCard.openings_stale, false);
    step("Ada wrote her card in the browser: Kim's command line shows it after a sync");

    // A ZIP finer than three digits: the core's refusal on screen, what she typed still there,
    // and nothing stored (Kim's device, after both sync, still has the card as it was).
    await zip.fill('01002');
    await pitch.fill('A pitch that is not stored');
    await ada.getByRole('button', { name: 'Save card' }).click();
    await ada.getByRole('alert').filter({ hasText: '"01002" is not the first three digits of a ZIP code' }).waitFor(SOON);
    assert.equal(await zip.inputValue(), '01002');
    assert.equal(await pitch.inputValue(), 'A pitch that is not stored');
    await syncNow(ada);
    await cli(kim, 'sync');
    assert.deepEqual(await cli(kim, 'profile', 'show', 'Ada'), adasCard, 'the refused card stored nothing');
    step('a ZIP of five digits: refused with the core\'s sentence, kept on screen, nothing stored');

    // Her card as a vCard: the Blob download is the vCard Kim's command line writes of it; its
    // QR code is on screen.
    await ada.getByRole('button', { name: 'Undo changes' }).click();
    assert.equal(await zip.inputValue(), '010');
    const [download] = await Promise.all([ada.waitForEvent('download', SOON), ada.getByRole('link', { name: 'Download vCard' }).click()]);
    assert.equal(download.suggestedFilename(), 'Ada.vcf');
    const vcardFile = path.join(tmp, 'ada.vcf');
    await cli(kim, 'profile', 'card', 'Ada', '--vcard', vcardFile);
    assert.equal(fs.readFileSync(await download.path(), 'utf8'), fs.readFileSync(vcardFile, 'utf8'));
    await ada.getByRole('img', { name: 'QR code of your vCard' }).waitFor(SOON);
    step("Ada's vCard downloaded from the browser is the one Kim's command line writes; its QR code is shown");

    // Kim writes hers on the command line; after "Sync now" Ada sees it, from Members and from
    // the list of cards.
    await cli(kim, 'profile', 'set', '--openings', 'accepting', '--specialty', 'anxiety');
    await cli(kim, 'sync');
    await syncNow(ada);
    await ada.getByRole('list', { name: "Colleagues' cards" }).getByRole('link', { name: 'Kim' }).waitFor(SOON);
    await ada.getByRole('link', { name: 'Members' }).click();
    await ada.getByRole('link', { name: "Kim's card" }).click();
    await ada.getByRole('heading', { name: "Kim's card", level: 1 }).waitFor(SOON);
    const facts = ada.locator('dl.facts');
    await facts.getByText('Accepting new clients', { exact: true }).waitFor(SOON);
    await facts.getByText('Anxiety', { exact: true }).waitFor(SOON);
    await ada.getByRole('img', { name: "QR code of Kim's vCard" }).waitFor(SOON);
    await check(ada, 'card-colleague', 'desktop');
    step("Kim's card, set on the command line, shows in Ada's browser after \"Sync now\"");
    await ada.getByRole('link', { name: 'Members' }).click();
    await ada.getByRole('heading', { name: 'Members', level: 1 }).waitFor(SOON);

    const kimsDevice = atKim.find((m) => m.name === 'Kim').devices.find((d) => d.this_device).device_id;
    const revoke = ada.getByRole('button', { name: `Revoke Kim's device ${kimsDevice.slice(0, 8)}`, exact: true });
    await revoke.click();
    await ada.getByText(', revoked').waitFor(SOON);
    const refused = await cli(kim, 'sync').then(
      () => null,
      (e) => e,
    );
    assert.ok(refused, "the revoked device's sync is refused");
    assert.match(refused.stderr + refused.stdout, /revoked|removed/i, refused.stderr);
    await ada.getByRole('link', { name: 'Today' }).click();
    await ada.getByRole('button', { name: 'Sync now' }).click();
    await ada.getByRole('status').filter({ hasText: 'Synced' }).waitFor(SOON);
    step("Ada revoked Kim's device: Kim's next sync is refused");

    // The relay's files hold none of it in the clear.
    await relay.stop();
    const secrets = [
      'Brought flyers for the spring parent night',
      'Rosa Jimenez',
      'Lincoln Middle School',
      'Maple Street Counseling',
      'Riverside Family Therapy',
      'sent two teens our way',
      'Intro call with the pediatric clinic',
      PITCH,
      '555-0142',
      'Head counselor',
    ];
    const files = fs.readdirSync(relayData, { recursive: true }).map((f) => path.join(relayData, f));
    let bytes = 0;
    for (const file of files.filter((f) => fs.statSync(f).isFile())) {
      const content = fs.readFileSync(file);
      bytes += content.length;
      for (const secret of secrets) {
        assert.ok(!content.includes(Buffer.from(secret)), `${secret} in the clear in ${path.basename(file)}`);
      }
    }
    assert.ok(bytes > 10_000, `the relay kept the practice's changes (${bytes} bytes)`);
    step(`the relay's files (${bytes} bytes) hold no name or note in the clear`);

    assert.deepEqual(problems, [], 'no page errors');
    console.log('app story: ok');
  } catch (e) {
    // What the pages showed, to see why.
    for (const context of browser.contexts()) {
      for (const p of context.pages()) {
        console.error(`--- ${p.url()}\n${(await p.locator('body').innerText().catch(() => '')).slice(0, 1500)}`);
      }
    }
    console.error(problems);
    throw e;
  } finally {
    await browser.close();
    await relay.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/// Taps "Sync now" on `page` and waits for that sync to end: the button is disabled while a
/// sync runs, so the tap is made in the page with a watch on the button already set, and the
/// helper returns once the button was disabled and then enabled again (however quick the sync),
/// with the status region saying "Synced".
async function syncNow(page) {
  await page.waitForFunction(() => [...document.querySelectorAll('button')].some((b) => b.textContent === 'Sync now' && !b.disabled), null, SOON);
  await page.evaluate(
    (ms) =>
      new Promise((resolve, reject) => {
        const button = () => [...document.querySelectorAll('button')].find((b) => b.textContent === 'Sync now');
        let ran = false;
        const watch = new MutationObserver(() => {
          const b = button();
          if (b?.disabled) ran = true;
          else if (ran) {
            watch.disconnect();
            resolve();
          }
        });
        watch.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['disabled'] });
        button().click();
        setTimeout(() => {
          watch.disconnect();
          reject(new Error(`no sync ended within ${ms} ms of "Sync now"`));
        }, ms);
      }),
    SOON.timeout,
  );
  await page.getByRole('status').filter({ hasText: 'Synced' }).waitFor(SOON);
}

/// Retries `check` (which resolves to true when done) every half second for 20 s.
async function eventually(what, check) {
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`not within 20 s: ${what}`);
}

/// axe-core on the page as it is (its script evaluated through the browser's debugger, so the
/// page's Content-Security-Policy stays in force); fails on any serious or critical violation.
/// Saves a screenshot when SCREENSHOTS names a directory.
async function check(page, screen, size) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `axe on ${screen} (${size})`,
  );
  if (shots) {
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, `${screen}-${size}.png`) });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

// What the browser stories share: a real trellis-relay on loopback (started, stopped, started
// again on the same port and data), the trellis CLI as a colleague's device, and headless
// Chromium with the checks every page gets (no page error, no console error, no request off
// the relay's origin).

import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const bin = process.env.TRELLIS_BIN_DIR ?? path.join(here, '../../target/debug');
export const SECRET = 'story-secret';
const started = Date.now();

/// Prints a step of a story with the seconds since the run began.
export const step = (what) => console.log(`  ${((Date.now() - started) / 1000).toFixed(1)}s ${what}`);

/// Starts trellis-relay on `listen` (a free loopback port by default) over `data`; resolves to
/// {url, process, stop()}.
export function startRelay(data, listen = '127.0.0.1:0') {
  const relay = spawn(
    path.join(bin, 'trellis-relay'),
    ['--listen', listen, '--data', data, '--signup-secret', SECRET],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const look = (chunk) => {
      out += chunk;
      const m = out.match(/listening on (http:\/\/[0-9.:]+)/);
      if (m) {
        resolve({
          url: m[1],
          process: relay,
          stop: () => {
            relay.kill();
            return new Promise((r) => (relay.exitCode !== null ? r() : relay.once('exit', r)));
          },
        });
      }
    };
    relay.stdout.on('data', look);
    relay.stderr.on('data', look);
    relay.on('exit', (code) => reject(new Error(`the relay exited (${code}) before listening: ${out}`)));
    // Unref'd: the timer must not keep the story's process alive once it is done.
    setTimeout(() => reject(new Error('the relay did not start within 20 s')), 20_000).unref();
  });
}

/// Runs the trellis CLI for the device whose store is in `data`, with --json; resolves to the
/// parsed output (or the raw text when it is not JSON).
export async function cli(data, ...args) {
  const { stdout } = await promisify(execFile)(path.join(bin, 'trellis'), ['--data', data, '--json', ...args], {
    env: { ...process.env, TRELLIS_SIGNUP_SECRET: SECRET },
  });
  try {
    return JSON.parse(stdout);
  } catch {
    return stdout;
  }
}

/// Headless Chromium (Debian's, or $CHROMIUM).
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/// A new context (its own storage, like a separate browser profile) whose pages report every
/// uncaught error, console error and request off `origin` into `problems`. `ignore` lists
/// console messages a story causes on purpose (a regular expression).
export async function newContext(browser, origin, problems, options = {}, ignore = /^Failed to load resource/) {
  const context = await browser.newContext(options);
  const watch = (r) => {
    if (!r.url().startsWith(`${origin}/`)) problems.push(`a request left the origin: ${r.url()}`);
  };
  context.on('request', watch);
  context.on('page', (page) => {
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !ignore.test(m.text())) problems.push(`console: ${m.text()}`);
    });
  });
  return context;
}

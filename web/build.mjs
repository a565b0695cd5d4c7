// Puts the browser app together in a directory the relay serves (scripts/web.sh runs it after
// wasm-bindgen): the page's script bundled by esbuild from app/ (Preact and the QR encoder
// included; no file is fetched from anywhere else at run time), the static files of www/, the
// wasm module and its glue under pkg/, and the service worker with the list of files it keeps
// for offline use and a hash of their contents (so each build's worker differs, and browsers
// install it).
//
//   node build.mjs <pkg dir> <out dir> [--minify]

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const [pkg, out, ...flags] = process.argv.slice(2);
if (!pkg || !out) {
  console.error('usage: node build.mjs <pkg dir> <out dir> [--minify]');
  process.exit(2);
}

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, 'pkg'), { recursive: true });

await esbuild.build({
  entryPoints: [path.join(here, 'app/main.jsx')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  // The wasm glue stays a file of its own: the worker loads it, and the page only on demand.
  external: ['./pkg/trellis_web.js'],
  minify: flags.includes('--minify'),
  legalComments: 'none',
  outfile: path.join(out, 'app.js'),
  logLevel: 'warning',
});

for (const file of ['index.html', 'app.css', 'worker.js', 'manifest.webmanifest', 'icon.svg']) {
  fs.copyFileSync(path.join(here, 'www', file), path.join(out, file));
}
for (const file of ['trellis_web.js', 'trellis_web_bg.wasm']) {
  fs.copyFileSync(path.join(pkg, file), path.join(out, 'pkg', file));
}

// The service worker keeps every file but itself; its cache is named by their contents.
const files = listFiles(out).sort();
const digest = createHash('sha256');
for (const file of files) digest.update(`${file}\0`).update(fs.readFileSync(path.join(out, file)));
const shell = digest.digest('hex').slice(0, 16);
const sw = fs
  .readFileSync(path.join(here, 'www', 'sw.js'), 'utf8')
  .replace("'__SHELL__'", JSON.stringify(shell))
  .replace('[/* __FILES__ */]', JSON.stringify(['./', ...files]));
fs.writeFileSync(path.join(out, 'sw.js'), sw);
console.log(`app shell ${shell}: ${files.length + 1} files`);

function listFiles(dir, prefix = '') {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

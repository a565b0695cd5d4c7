// A tiny static server for the browser story, on loopback: the page (web/www), the module
// wasm-bindgen made (PKG_DIR, under /pkg/), and /v1/ passed through to the relay, so the page,
// its wasm and the relay share one origin (as when the relay serves the app itself) and fetch
// needs no CORS. Exports start(); run alone, it prints the address it listens on.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.ts': 'text/plain; charset=utf-8',
};

/// Serves `www` and `pkg` and proxies /v1/ to `relay` (http://127.0.0.1:PORT); resolves to
/// the server's origin once it listens.
export function start({ www, pkg, relay }) {
  const relayUrl = new URL(relay);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname.startsWith('/v1/')) {
      const upstream = http.request(
        {
          host: relayUrl.hostname,
          port: relayUrl.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: relayUrl.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode, answer.headers);
          answer.pipe(res);
        },
      );
      // The relay unreachable: the connection drops, as it would with no proxy between.
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
      return;
    }
    const [root, rel] = url.pathname.startsWith('/pkg/')
      ? [pkg, url.pathname.slice('/pkg/'.length)]
      : [www, url.pathname === '/' ? 'index.html' : url.pathname.slice(1)];
    const file = path.resolve(root, rel);
    if (!file.startsWith(path.resolve(root) + path.sep) || !fs.existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        origin: `http://127.0.0.1:${port}`,
        // Keep-alive connections would hold the process open for their timeout.
        close: () => {
          server.close();
          server.closeAllConnections();
        },
      });
    });
  });
}

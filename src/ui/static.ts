import { createReadStream, existsSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { securityHeaders } from './http.js';

/**
 * The browser app Vite builds into dist/web: its assets (content-hashed, cached for good), and
 * index.html for every other path, which the app routes itself.
 */

/** dist/web, found from this module's own place (dist/src/ui/static.js → dist/web). */
export function defaultWebDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // Built: dist/src/ui → dist/web. Run from the sources (vitest): src/ui → dist/web.
  const fromDist = resolve(here, '..', '..', 'web');
  if (here.split(sep).includes('dist')) return fromDist;
  return resolve(here, '..', '..', 'dist', 'web');
}

const types: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

const missingBuild =
  'The Ballast UI is not built: dist/web is missing.\n' +
  'Run `npm run build` in the Ballast checkout, then start `ballast ui` again.\n';

function sendFile(res: ServerResponse, file: string, immutable: boolean, head: boolean): void {
  const type = types[extname(file).toLowerCase()] ?? 'application/octet-stream';
  res.writeHead(200, {
    ...securityHeaders,
    'content-type': type,
    'content-length': String(statSync(file).size),
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (head) res.end();
  else
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Answers a GET or HEAD of a path outside /api/. */
export function serveStatic(
  webDir: string,
  pathname: string,
  res: ServerResponse,
  head: boolean,
): void {
  const index = join(webDir, 'index.html');
  if (!existsSync(index)) {
    res
      .writeHead(200, { ...securityHeaders, 'content-type': 'text/plain; charset=utf-8' })
      .end(head ? undefined : missingBuild);
    return;
  }
  if (pathname.startsWith('/assets/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      decoded = '';
    }
    const root = resolve(webDir, 'assets');
    const file = resolve(webDir, `.${decoded}`);
    // Only files under assets/, however the path was spelled (.., %2e%2e, a NUL).
    if (decoded !== '' && !decoded.includes('\0') && file.startsWith(root + sep) && isFile(file)) {
      sendFile(res, file, true, head);
      return;
    }
    res
      .writeHead(404, { ...securityHeaders, 'content-type': 'text/plain; charset=utf-8' })
      .end(head ? undefined : 'not found\n');
    return;
  }
  const top = resolve(webDir, `.${pathname}`);
  // Files at the top of dist/web (favicon.ico) are served; every other path is the app's.
  if (/^\/[\w.-]+$/.test(pathname) && pathname !== '/index.html' && isFile(top)) {
    sendFile(res, top, false, head);
    return;
  }
  sendFile(res, index, false, head);
}

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from './http.js';
import { serveStatic } from './static.js';

/** A ServerResponse that keeps what was written. */
function response(): {
  res: ServerResponse;
  done: Promise<{ status: number; headers: Record<string, string>; body: string }>;
} {
  const chunks: Buffer[] = [];
  let status = 0;
  let headers: Record<string, string> = {};
  let finish: () => void = () => undefined;
  const done = new Promise<void>((r) => (finish = r));
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
    final(cb) {
      finish();
      cb();
    },
  });
  const res = Object.assign(sink, {
    writeHead(s: number, h: Record<string, string>) {
      status = s;
      headers = h;
      return res;
    },
  }) as unknown as ServerResponse;
  return {
    res,
    done: done.then(() => ({ status, headers, body: Buffer.concat(chunks).toString('utf8') })),
  };
}

const web = mkdtempSync(join(tmpdir(), 'ballast-web-'));
mkdirSync(join(web, 'assets'));
writeFileSync(join(web, 'index.html'), '<!doctype html><title>Ballast</title>');
writeFileSync(join(web, 'assets', 'app-1234.js'), 'console.log(1)');
writeFileSync(join(web, 'secret.txt.bak'), 'no');
afterAll(() => {
  rmSync(web, { recursive: true });
});

const get = async (dir: string, path: string) => {
  const r = response();
  serveStatic(dir, path, r.res, false);
  return r.done;
};

describe('the browser app’s files', () => {
  it('serves assets for good, with the CSP', async () => {
    const r = await get(web, '/assets/app-1234.js');
    expect(r.status).toBe(200);
    expect(r.body).toBe('console.log(1)');
    expect(r.headers['cache-control']).toMatch(/immutable/);
    expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(r.headers['content-security-policy']).toBe(contentSecurityPolicy);
  });

  it('answers index.html for every route of the app, and nothing outside assets/', async () => {
    for (const path of ['/', '/apps/shop/web', '/audit'])
      expect((await get(web, path)).body).toContain('<title>Ballast</title>');
    expect((await get(web, '/assets/../index.html')).status).toBe(404);
    expect((await get(web, '/assets/%2e%2e/secret.txt.bak')).status).toBe(404);
    expect((await get(web, '/assets/missing.js')).status).toBe(404);
  });

  it('says to run `npm run build` when dist/web is missing', async () => {
    const r = await get(join(web, 'nowhere'), '/');
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.body).toContain('npm run build');
    expect(r.headers['content-security-policy']).toBe(contentSecurityPolicy);
  });
});

import { request, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeHttp } from '../cluster/node-http.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSourceOptions, GitSource } from '../source/source.js';
import { UiServer, hostAllowed } from './server.js';
import { CsrfKey, type Identities, type UiSession } from './session.js';
import { UiHttpError } from './http.js';

/** Identities that count how often a session (and so an apiserver client) was asked for. */
class CountingIdentities implements Identities {
  readonly mode = 'local';
  readonly csrf = new CsrfKey();
  sessions = 0;
  sessionOf(): Promise<UiSession> {
    this.sessions++;
    return Promise.reject(new UiHttpError(401, 'not signed in'));
  }
  signIn(): Promise<UiSession> {
    return this.sessionOf();
  }
  signOut(): void {}
  close(): void {}
}

const identities = new CountingIdentities();
let server: Server;
let port = 0;

beforeAll(async () => {
  const ui = new UiServer({
    identities,
    ledgerScope: 'user-file',
    // Never fetched from: no route here reaches the Diff tab.
    source: new GitSource(defaultSourceOptions(join(tmpdir(), 'ballast-ui-server-test'))),
    webDir: '/nonexistent',
    log: () => undefined,
  });
  server = nodeHttp.createServer((req, res) => {
    if (!ui.handle(req, res)) res.writeHead(418).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  port = typeof a === 'object' && a !== null ? a.port : 0;
});

afterAll(() => {
  server.close();
});

function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          headers: res.headers,
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the UI server’s own refusals', () => {
  it('refuses a POST without the CSRF token with 403, before a session (an apiserver client) is made', async () => {
    const before = identities.sessions;
    const r = await send(
      'POST',
      '/api/apps/shop/web/actions/sync',
      { 'content-type': 'application/json' },
      '{}',
    );
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toEqual({
      status: 403,
      message: 'missing or wrong CSRF token',
      reason: 'Forbidden',
    });
    const wrong = await send('POST', '/api/apps/shop/web/actions/sync', {
      'content-type': 'application/json',
      'x-ballast-csrf': new CsrfKey().tokenFor('local'),
    });
    expect(wrong.status).toBe(403);
    expect(identities.sessions).toBe(before);
  });

  it('answers unknown routes 404, a wrong method 405, and bad names 400, all as JSON with the CSP', async () => {
    const unknown = await send('GET', '/api/nothing');
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(unknown.headers['content-security-policy']).toContain("default-src 'self'");
    expect((await send('GET', '/api/apps/shop/web/actions/sync')).status).toBe(405);
    expect((await send('GET', '/api/login')).status).toBe(405);
    const badName = await send('POST', '/api/login', { 'content-type': 'text/plain' }, 'x');
    expect(badName.status).toBe(415);
  });

  it('leaves other methods outside /api/ to its host (the controller’s own routes)', async () => {
    expect((await send('POST', '/hooks/github')).status).toBe(418);
    expect((await send('GET', '/apps/shop/web')).status).toBe(200);
  });
});

describe('the Host check of ballast ui', () => {
  it('takes 127.0.0.1 and localhost on our port only', () => {
    expect(hostAllowed('127.0.0.1:8090', 8090)).toBe(true);
    expect(hostAllowed('LOCALHOST:8090', 8090)).toBe(true);
    expect(hostAllowed('localhost:8091', 8090)).toBe(false);
    expect(hostAllowed('attacker.example:8090', 8090)).toBe(false);
    expect(hostAllowed('127.0.0.1', 8090)).toBe(false);
    expect(hostAllowed(undefined, 8090)).toBe(false);
  });
});

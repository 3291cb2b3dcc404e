import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../api/application.js';
import { SyncObjectError } from '../apply/errors.js';
import { Cluster } from '../cluster/cluster.js';
import { ApiServerUnreachableError, KubeApiError } from '../cluster/errors.js';
import { runOrThrow } from '../exec/run.js';
import { GitError } from '../source/git.js';
import { VerificationError } from '../source/verify/index.js';
import {
  ApiServerRetryError,
  apiFailureOutcome,
  failureOf,
  isReported,
  StageError,
  syncFailureOf,
  UnexpectedReconcileError,
} from './errors.js';
import { writeStatus } from './status.js';

/** What the scripted apiserver answers to the next request. */
type Answer =
  | { kind: 'status'; code: number; reason: string; headers?: Record<string, string> }
  | { kind: 'text'; code: number; text: string; headers?: Record<string, string> }
  | { kind: 'reset' };

/**
 * An HTTPS server that answers each request as scripted, so the real client (KubeHttp, TLS,
 * headers, a socket torn down mid-request) meets each answer an apiserver can give.
 */
class ScriptedApiServer {
  answers: Answer[] = [];
  private server: Server | undefined;
  private dir = '';
  kubeconfig = '';

  async start(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'ballast-errors-'));
    await runOrThrow('openssl', 'openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(this.dir, 'key.pem'),
      '-out',
      join(this.dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=scripted-apiserver',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    const cert = await readFile(join(this.dir, 'cert.pem'));
    const key = await readFile(join(this.dir, 'key.pem'));
    this.server = createServer({ cert, key }, (req, res) => {
      const a = this.answers.shift() ?? { kind: 'status', code: 200, reason: '' };
      req.resume();
      if (a.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      const body =
        a.kind === 'text'
          ? a.text
          : JSON.stringify({ kind: 'Status', code: a.code, reason: a.reason, message: a.reason });
      res.writeHead(a.code, { 'content-type': 'application/json', ...a.headers });
      res.end(body);
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    const { port } = this.server.address() as AddressInfo;
    this.kubeconfig = join(this.dir, 'kubeconfig');
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'scripted',
          cluster: {
            server: `https://127.0.0.1:${port}`,
            'certificate-authority-data': cert.toString('base64'),
          },
        },
      ],
      users: [{ name: 'scripted', user: { token: 'not-a-secret' } }],
      contexts: [{ name: 'scripted', context: { cluster: 'scripted', user: 'scripted' } }],
      'current-context': 'scripted',
    };
    await writeFile(this.kubeconfig, JSON.stringify(config));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) =>
      this.server?.close(() => {
        r();
      }),
    );
    await rm(this.dir, { recursive: true, force: true });
  }
}

const app = {
  apiVersion: 'ballast.dev/v1alpha1',
  kind: 'Application',
  metadata: { name: 'shop', namespace: 'team-a' },
} as Application;

describe('what a reconcile reports for each answer of the apiserver', () => {
  const api = new ScriptedApiServer();
  let cluster: Cluster;

  /** The error a status write meets when the apiserver answers `a`, as the pass reports it. */
  async function failureFor(a: Answer): Promise<ReturnType<typeof failureOf>> {
    api.answers = [a];
    const thrown = await writeStatus(cluster, app, {}).then(
      () => new Error('the write did not fail'),
      (e: unknown) => e,
    );
    return failureOf('team-a/shop', thrown);
  }

  beforeAll(async () => {
    await api.start();
    // Each answer as the reconcile meets it: the client sends no 429 again by itself.
    cluster = Cluster.connect({ kubeconfig: api.kubeconfig, throttleRetries: 0 });
  });
  afterAll(async () => {
    cluster.close();
    await api.stop();
  });

  it('a 409 Conflict is retried as Conflict, not reported as a bug', async () => {
    const f = await failureFor({ kind: 'status', code: 409, reason: 'Conflict' });
    expect(f).toBeInstanceOf(ApiServerRetryError);
    expect(f).toMatchObject({ reason: 'Conflict', retryAfterMs: undefined });
    expect(f.problem).toMatch(/^the object changed while it was being written, retrying/);
    expect(f.cause).toBeInstanceOf(KubeApiError);
    expect(isReported(f)).toBe(true);
  });

  it('a 429 with Retry-After: 2 is Throttled and asks not to be retried for 2 s', async () => {
    const f = await failureFor({
      kind: 'text',
      code: 429,
      text: 'Too many requests, please try again later.\n',
      headers: { 'retry-after': '2' },
    });
    expect(f).toBeInstanceOf(ApiServerRetryError);
    expect(f).toMatchObject({ reason: 'Throttled', retryAfterMs: 2_000 });
    expect(f.problem).toContain('Too many requests');
  });

  it('a 503 Service Unavailable is ApiServerUnavailable', async () => {
    const f = await failureFor({ kind: 'status', code: 503, reason: 'ServiceUnavailable' });
    expect(f).toMatchObject({ reason: 'ApiServerUnavailable', retryAfterMs: undefined });
  });

  it('a 500 Internal Error is ApiServerUnavailable too: 5xx is never the spec', async () => {
    const f = await failureFor({ kind: 'status', code: 500, reason: 'InternalError' });
    expect(f).toMatchObject({ reason: 'ApiServerUnavailable' });
  });

  it('a connection reset in the middle of a request is ApiServerUnavailable', async () => {
    const f = await failureFor({ kind: 'reset' });
    expect(f).toBeInstanceOf(ApiServerRetryError);
    expect(f).toMatchObject({ reason: 'ApiServerUnavailable', retryAfterMs: undefined });
    expect(f.cause).toBeInstanceOf(ApiServerUnreachableError);
  });

  it("a 403 is Forbidden: RBAC's answer is fixed by a grant, never by retrying", async () => {
    const f = await failureFor({ kind: 'status', code: 403, reason: 'Forbidden' });
    expect(f).toBeInstanceOf(StageError);
    expect(f.reason).toBe('Forbidden');
  });

  it('a 422 Invalid is an answer about the request: unexpected here, and logged as such', async () => {
    const f = await failureFor({ kind: 'status', code: 422, reason: 'Invalid' });
    expect(f).toBeInstanceOf(UnexpectedReconcileError);
    expect(f.reason).toBe('ReconcileError');
    expect(isReported(f)).toBe(false);
  });
});

describe('failureOf', () => {
  it('reports a Git failure as FetchFailed and a failed verification run as VerificationError', () => {
    const git = new GitError('https://git.example/a.git', 'fetch', 'repository not found');
    expect(failureOf('ns/a', git)).toMatchObject({ reason: 'FetchFailed', problem: git.message });
    const verify = new VerificationError('/mirror abc', 'git cat-file: exit 128');
    expect(failureOf('ns/a', verify)).toMatchObject({ reason: 'VerificationError' });
  });

  it('keeps the reason of a failure a stage already typed', () => {
    const e = new StageError('ns/a', 'RenderFailed', 'kustomization.yaml: bad');
    expect(failureOf('ns/a', e)).toBe(e);
  });

  it('finds the apiserver answer under the error that wraps it', () => {
    const cause = new KubeApiError(
      'Secret ns/x',
      'get',
      429,
      'TooManyRequests',
      'slow down',
      {},
      4,
    );
    const wrapped = new Error('reading credentials', { cause });
    expect(failureOf('ns/a', wrapped)).toMatchObject({ reason: 'Throttled', retryAfterMs: 4_000 });
  });

  it('calls a thrown TypeError unexpected, never a retryable answer', () => {
    const f = failureOf('ns/a', new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect(f).toBeInstanceOf(UnexpectedReconcileError);
    expect(f.message).toMatch(/^ns\/a: Cannot read properties/);
  });
});

describe('syncFailureOf', () => {
  const refused = (name: string, status: number, retryAfterSeconds = 0): SyncObjectError => {
    const subject = { group: 'apps', kind: 'Deployment', namespace: 'ns', name };
    const cause = new KubeApiError(subject, 'apply', status, 'x', 'y', {}, retryAfterSeconds);
    return new SyncObjectError(subject, undefined, `the apiserver refused it: ${status}`, {
      cause,
    });
  };

  it('a sync whose every object was throttled is Throttled, after the longest Retry-After', () => {
    const f = syncFailureOf('ns/a', [refused('a', 429, 1), refused('b', 429, 3)], 'ApplyFailed');
    expect(f).toBeInstanceOf(ApiServerRetryError);
    expect(f).toMatchObject({ reason: 'Throttled', retryAfterMs: 3_000 });
  });

  it('one object refused for another cause makes it ApplyFailed; one forbidden, Forbidden', () => {
    const mixed = [refused('a', 429), refused('b', 422)];
    expect(syncFailureOf('ns/a', mixed, 'ApplyFailed')).toMatchObject({ reason: 'ApplyFailed' });
    const forbidden = [refused('a', 429), refused('b', 403)];
    expect(syncFailureOf('ns/a', forbidden, 'SyncRefused')).toMatchObject({ reason: 'Forbidden' });
  });
});

describe('apiFailureOutcome, for the drift and health paths', () => {
  it('retries a throttled request not before its Retry-After', () => {
    const e = new KubeApiError('Deployment ns/web', 'get', 429, 'TooManyRequests', 'slow', {}, 1);
    const outcome = apiFailureOutcome('ns/a#apps|Deployment|ns|web', e);
    expect(outcome).toMatchObject({ kind: 'retry', notBeforeMs: 1_000 });
    expect(outcome.kind === 'retry' && outcome.error).toBeInstanceOf(ApiServerRetryError);
  });

  it("retries the apiserver's other answers as they are, and rethrows a bug", () => {
    const invalid = new KubeApiError('Deployment ns/web', 'apply', 422, 'Invalid', 'bad');
    expect(apiFailureOutcome('k', invalid)).toEqual({ kind: 'retry', error: invalid });
    const bug = new TypeError('x is not a function');
    expect(() => apiFailureOutcome('k', bug)).toThrow(bug);
  });
});

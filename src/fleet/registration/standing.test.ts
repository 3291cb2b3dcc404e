import { describe, expect, it } from 'vitest';
import { ApiServerUnreachableError, KubeApiError } from '../../cluster/errors.js';
import { classifyHubError } from './deregister.js';
import { renewalDue } from './renew.js';
import { parseTokenTtl } from './token.js';

const me = 'ballast:cluster:store-1:0123456789abcdef';

const status = (code: number, message: string, details?: { kind?: string; name?: string }) =>
  KubeApiError.from(
    'Assignment list',
    'list',
    code,
    JSON.stringify({ kind: 'Status', reason: 'X', message, ...(details ? { details } : {}) }),
  );

describe('classifying a hub error for the agent', () => {
  it('reads RBAC refusing this identity as deregistered', () => {
    const e = status(
      403,
      `assignments.ballast.dev is forbidden: User "${me}" cannot list resource "assignments"`,
    );
    expect(classifyHubError(e, me, 'store-1').kind).toBe('deregistered');
  });

  it('reads a 403 that names nobody (an apiserver still loading RBAC) as the hub being down', () => {
    expect(classifyHubError(status(403, 'forbidden'), me, 'store-1').kind).toBe('hub-down');
  });

  it('reads its own namespace or Cluster missing as deregistered, other 404s not', () => {
    const ns = status(404, 'not found', { kind: 'namespaces', name: 'ballast-cluster-store-1' });
    const cluster = status(404, 'not found', { kind: 'clusters', name: 'store-1' });
    const other = status(404, 'not found', { kind: 'assignments', name: 'retail.pos' });
    expect(classifyHubError(ns, me, 'store-1').kind).toBe('deregistered');
    expect(classifyHubError(cluster, me, 'store-1').kind).toBe('deregistered');
    expect(classifyHubError(other, me, 'store-1').kind).toBe('other');
  });

  it('reads 401 as a rejected certificate, and 5xx, 429 and no answer as the hub being down', () => {
    expect(classifyHubError(status(401, 'Unauthorized'), me, 'store-1').kind).toBe(
      'credential-rejected',
    );
    expect(classifyHubError(status(503, 'unavailable'), me, 'store-1').kind).toBe('hub-down');
    expect(classifyHubError(status(429, 'slow down'), me, 'store-1').kind).toBe('hub-down');
    const down = new ApiServerUnreachableError('https://hub', 'hub', new Error('ECONNREFUSED'));
    expect(classifyHubError(down, me, 'store-1').kind).toBe('hub-down');
  });
});

describe('a registration token lifetime', () => {
  it('is read from a duration, at least 10 minutes', () => {
    expect(parseTokenTtl('1h')).toBe(3600);
    expect(parseTokenTtl('10m')).toBe(600);
  });

  it('under 10 minutes is refused, saying why and what to do instead', () => {
    expect(() => parseTokenTtl('9m59s')).toThrow(
      '--ttl 9m59s: a registration token must live at least 10m (the apiserver issues no shorter TokenRequest); revoke it early with `kubectl delete secret` instead',
    );
    expect(() => parseTokenTtl('an hour')).toThrow(
      '--ttl an hour: not a duration; write e.g. 30m, 1h or 24h',
    );
  });
});

describe('when a certificate is renewed', () => {
  it('is once two thirds of its lifetime have passed', () => {
    const notBefore = new Date('2026-01-01T00:00:00Z');
    const notAfter = new Date('2026-01-02T00:00:00Z');
    expect(renewalDue({ notBefore, notAfter }).toISOString()).toBe('2026-01-01T16:00:00.000Z');
  });
});

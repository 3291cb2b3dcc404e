import { describe, expect, it } from 'vitest';
import { chooseRuntime } from './runtime.js';

describe('chooseRuntime', () => {
  it('runs in-process on Node 24 and later', () => {
    expect(chooseRuntime('24.0.0', '/usr/bin/node', () => undefined)).toEqual({ kind: 'here' });
    expect(chooseRuntime('25.1.0', '/usr/bin/node', () => '/x/node')).toEqual({ kind: 'here' });
  });

  it("a system Node 20 first on PATH hands over to node_modules' Node 24", () => {
    expect(
      chooseRuntime('20.20.2', '/usr/bin/node', () => '/repo/node_modules/node/bin/node'),
    ).toEqual({
      kind: 'rerun',
      node: '/repo/node_modules/node/bin/node',
    });
  });

  it('without one, says which Node it found and what to install', () => {
    const r = chooseRuntime('20.20.2', '/usr/bin/node', () => undefined);
    expect(r.kind).toBe('missing');
    expect(r.kind === 'missing' ? r.message : '').toMatch(
      /^ballast needs Node 24 or newer; \/usr\/bin\/node is v20\.20\.2\. Install Node 24/,
    );
  });
});

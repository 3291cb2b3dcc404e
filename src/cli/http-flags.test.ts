import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindAddressOf, webhookSecretOf } from './http-flags.js';
import { defaultControllerOptions } from '../reconcile/controller.js';
import { defaultHubOptions } from '../fleet/hub/index.js';
import { UsageError } from './parse.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ballast-controller-flags-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the HTTP flags of ballast controller and ballast hub', () => {
  it('an empty --webhook-secret-file refuses to start, naming the file', async () => {
    const empty = join(dir, 'empty-secret');
    await writeFile(empty, '\n  \n');
    const err = await webhookSecretOf(empty).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain(`--webhook-secret-file ${empty} is empty`);
    const missing = await webhookSecretOf(join(dir, 'nope')).catch((e: unknown) => e);
    expect((missing as Error).message).toMatch(/nope: cannot be read \(ENOENT\)/);
    const good = join(dir, 'secret');
    await writeFile(good, 's3cret\n');
    expect(await webhookSecretOf(good)).toBe('s3cret');
  });

  it('/metrics and the probes listen on loopback unless told otherwise, in a Pod too', () => {
    // The library's default; `ballast install` passes --metrics-bind-address 0.0.0.0.
    const loopback = defaultControllerOptions().httpHost;
    expect(loopback).toBe('127.0.0.1');
    expect(defaultHubOptions().httpHost).toBe(loopback);
    expect(bindAddressOf({}, loopback)).toBe('127.0.0.1');
    expect(bindAddressOf({ metricsBindAddress: '0.0.0.0' }, loopback)).toBe('0.0.0.0');
    // The older name still works, and two different answers are a usage error.
    expect(bindAddressOf({ bindAddress: '10.0.0.5' }, loopback)).toBe('10.0.0.5');
    expect(() =>
      bindAddressOf({ metricsBindAddress: '::1', bindAddress: '0.0.0.0' }, loopback),
    ).toThrow(UsageError);
  });
});

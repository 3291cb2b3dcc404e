import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from './run.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('run', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ballast-run-test-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('kills the whole process group once stdout passes the limit, keeping none of the excess', async () => {
    const pidFile = join(dir, 'pid');
    const r = await run('/bin/sh', ['-c', `sleep 30 & echo $! > ${pidFile}; exec yes`], {
      maxStdoutBytes: 1024 * 1024,
      timeoutMs: 20_000,
    });
    expect(r).toEqual({ kind: 'output-limit', stream: 'stdout', limitBytes: 1024 * 1024 });
    const sleeper = Number(await readFile(pidFile, 'utf8'));
    await expect.poll(() => alive(sleeper), { timeout: 5_000 }).toBe(false);
  });

  it('runs the child under its memory limit: a runaway allocation fails instead of growing', async () => {
    // Doubles a shell string to 32 MiB; under a 16 MiB data limit the shell cannot allocate it.
    const grow = 'a=x; i=0; while [ $i -lt 25 ]; do a=$a$a; i=$((i+1)); done; echo grew';
    const limited = await run('/bin/sh', ['-c', grow], {
      maxMemoryBytes: 16 * 1024 * 1024,
      timeoutMs: 20_000,
    });
    expect(limited.kind).toBe('exit');
    const free = await run('/bin/sh', ['-c', grow], { timeoutMs: 20_000 });
    expect(free.kind === 'ok' && free.stdout.toString()).toBe('grew\n');
  });

  it('passes arguments through the limiter untouched by any shell', async () => {
    const r = await run('/bin/echo', ['$HOME', '"; exit 3', '*'], {
      maxMemoryBytes: 64 * 1024 * 1024,
    });
    expect(r.kind === 'ok' && r.stdout.toString()).toBe('$HOME "; exit 3 *\n');
  });
});

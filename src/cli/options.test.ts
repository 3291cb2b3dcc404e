import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  connect,
  durationOption,
  formatDuration,
  isSharedOption,
  namespaceOf,
  namespaceOption,
  sharedLongNames,
} from './options.js';
import { buildProgram } from './program.js';

/** Every command of the program with its path, depth first. */
function commands(c: Command, path = 'ballast'): { path: string; cmd: Command }[] {
  return [{ path, cmd: c }, ...c.commands.flatMap((s) => commands(s, `${path} ${s.name()}`))];
}

let dir: string;
let kubeconfig: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ballast-options-'));
  kubeconfig = join(dir, 'config');
  const cluster = { server: 'https://127.0.0.1:1' };
  await writeFile(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster }],
      contexts: [
        { name: 'shop', context: { cluster: 'c', namespace: 'shop' } },
        { name: 'bare', context: { cluster: 'c' } },
      ],
      'current-context': 'shop',
    }),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('shared option declarations', () => {
  it('no command declares --kubeconfig, --context, -n, -o or a Git credential flag by hand', async () => {
    const program = await buildProgram([]);
    const seen = new Set<string>();
    for (const { path, cmd } of commands(program)) {
      for (const o of cmd.options) {
        const shared =
          sharedLongNames.includes(o.long ?? '') || o.short === '-n' || o.short === '-o';
        if (!shared) continue;
        seen.add(o.long ?? '');
        expect(isSharedOption(o), `${path} ${o.flags}`).toBe(true);
      }
    }
    // The walk reached every kind of shared flag, so the check above checked something.
    expect([...seen].sort()).toEqual([...sharedLongNames].sort());
  });

  it('every -o refuses a format it does not have in the same words, and exits through commander', async () => {
    const withOutput = commands(await buildProgram([]))
      .filter(({ cmd }) => cmd.options.some((o) => o.long === '--output'))
      .map(({ path }) => path.split(' ').slice(1));
    expect(withOutput.map((p) => p.join(' '))).toEqual([
      'diff',
      'sync',
      'app list',
      'app get',
      'fleet list',
      'fleet get',
      'fleet status',
      'fleet clusters',
      'fleet rollout status',
      'verify-commit',
      'lint-commits',
      'audit verify',
    ]);
    for (const path of withOutput) {
      const program = await buildProgram(path);
      let stderr = '';
      program.configureOutput({ writeErr: (s) => (stderr += s) });
      for (const c of commands(program)) c.cmd.configureOutput({ writeErr: (s) => (stderr += s) });
      const err = await program
        .parseAsync(['node', 'ballast', ...path, '-o', 'xml'])
        .catch((e: unknown) => e);
      expect(err, path.join(' ')).toBeInstanceOf(CommanderError);
      expect(stderr).toMatch(
        /option '-o, --output <format>' argument 'xml' is invalid\. Allowed choices are \w+(, \w+)+\./,
      );
    }
  });
});

describe('durationOption', () => {
  const parsed = (args: string[], zero: boolean): unknown => {
    const cmd = new Command().exitOverride();
    cmd.configureOutput({ writeErr: () => undefined });
    durationOption(cmd, '--period <d>', 'a period; 0: never', 60_000, { zero });
    cmd.parse(args, { from: 'user' });
    return cmd.opts()['period'];
  };

  it('takes 0 where the flag gives it a meaning, and refuses it elsewhere', () => {
    expect(parsed(['--period', '0'], true)).toBe(0);
    expect(parsed(['--period', '0s'], true)).toBe(0);
    expect(parsed(['--period', '90s'], true)).toBe(90_000);
    expect(parsed([], true)).toBe(60_000);
    expect(() => parsed(['--period', '0'], false)).toThrow(CommanderError);
    expect(() => parsed(['--period', '-1s'], true)).toThrow(CommanderError);
  });
});

describe('namespaceOf', () => {
  it("-n wins; else the kubeconfig context's namespace; else default, as kubectl does", () => {
    const shop = connect({ kubeconfig });
    const bare = connect({ kubeconfig, context: 'bare' });
    try {
      expect(namespaceOf({ namespace: 'web' }, shop)).toBe('web');
      expect(namespaceOf({}, shop)).toBe('shop');
      expect(namespaceOf({}, bare)).toBe('default');
    } finally {
      shop.close();
      bare.close();
    }
  });

  it('leaves -n unset when it is not given, so the context can fill it in', () => {
    const cmd = namespaceOption(new Command('x').exitOverride(), 'ns', { kind: 'context' });
    cmd.parse([], { from: 'user' });
    expect(cmd.opts()).toEqual({});
    expect(cmd.helpInformation()).toContain("(default: the kubeconfig context's namespace)");
    cmd.parse(['-n', 'web'], { from: 'user' });
    expect(cmd.opts()).toEqual({ namespace: 'web' });
  });
});

describe('formatDuration', () => {
  it('prints a default as the flag would be written', () => {
    expect([20_000, 300_000, 5_400_000, 500, 3_600_000].map(formatDuration)).toEqual([
      '20s',
      '5m',
      '1h30m',
      '500ms',
      '1h',
    ]);
  });
});

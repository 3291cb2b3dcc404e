import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, commandModules, commandOf } from './program.js';

const names = (c: Command): string[] => c.commands.map((s) => s.name());

/** Every command's help, keyed by its path, so a lazily built program can be compared whole. */
function helps(c: Command, path = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of c.commands) {
    const p = `${path} ${s.name()}`;
    out.set(p, s.helpInformation());
    for (const [k, v] of helps(s, p)) out.set(k, v);
  }
  return out;
}

describe('buildProgram', () => {
  it('lists every command module in the order of the root help', async () => {
    const full = await buildProgram([]);
    expect(names(full)).toEqual(commandModules.flatMap((m) => m.names));
  });

  it('registers only the named command, with the same help as the full program', async () => {
    const full = helps(await buildProgram([]));
    for (const m of commandModules) {
      for (const name of m.names) {
        const one = await buildProgram([name, '--help']);
        expect(names(one)).toEqual(m.names);
        for (const [path, help] of helps(one)) expect(help, path).toBe(full.get(path));
      }
    }
  });

  it('registers everything when no known command comes first', async () => {
    const all = commandModules.flatMap((m) => m.names);
    for (const args of [[], ['--help'], ['-h', 'sync'], ['help', 'sync'], ['synk']]) {
      expect(names(await buildProgram(args))).toEqual(all);
    }
  });
});

describe('commandOf', () => {
  it('is the first argument unless it is an option', () => {
    expect(commandOf(['controller', '--port', '9090'])).toBe('controller');
    expect(commandOf(['--version', 'sync'])).toBeUndefined();
    expect(commandOf([])).toBeUndefined();
  });
});

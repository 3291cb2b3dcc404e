import { CommanderError, type Command } from 'commander';
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

describe('ballast --version', () => {
  /** Parses `args` with output captured; the CommanderError commander ends with, if any. */
  async function parse(args: string[]): Promise<{ out: string; err: string; end: unknown }> {
    const program = await buildProgram(args);
    const seen = { out: '', err: '' };
    program.configureOutput({
      writeOut: (s) => (seen.out += s),
      writeErr: (s) => (seen.err += s),
    });
    const end = await program.parseAsync(['node', 'ballast', ...args]).catch((e: unknown) => e);
    return { ...seen, end };
  }

  it('prints the version; -v is not the version, as in kubectl', async () => {
    const version = await parse(['--version']);
    expect(version.out).toMatch(/^\d+\.\d+\.\d+/);
    expect((version.end as CommanderError).exitCode).toBe(0);
    const v = await parse(['-v']);
    expect(v.out).toBe('');
    expect(v.err).toContain("error: unknown option '-v'");
    expect(v.end).toBeInstanceOf(CommanderError);
    expect((v.end as CommanderError).exitCode).not.toBe(0);
  });
});

describe('commandOf', () => {
  it('is the first argument unless it is an option', () => {
    expect(commandOf(['controller', '--port', '9090'])).toBe('controller');
    expect(commandOf(['--version', 'sync'])).toBeUndefined();
    expect(commandOf([])).toBeUndefined();
  });
});

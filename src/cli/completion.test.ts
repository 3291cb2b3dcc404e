import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bashScript, completionTree, zshScript } from './completion.js';
import { buildProgram, commandModules } from './program.js';

let dir: string;
let script: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ballast-completion-'));
  script = join(dir, 'ballast.bash');
  await writeFile(script, bashScript(completionTree(await buildProgram([]))));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What bash offers for the command line `line`, the cursor after its last word. */
function complete(line: string): string[] {
  const words = line.split(' ');
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const r = spawnSync(
    'bash',
    [
      '-c',
      `source '${script}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _ballast; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: 'utf8' },
  );
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('ballast completion bash', () => {
  it('is a script bash -n accepts', () => {
    const r = spawnSync('bash', ['-n', script], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, '']);
  });

  it('offers every top-level command, and the subcommands of app', () => {
    expect(complete('ballast ')).toEqual([...commandModules.flatMap((m) => m.names), 'help']);
    expect(complete('ballast app ')).toEqual([
      'list',
      'get',
      'history',
      'suspend',
      'resume',
      'rollback',
      'diff',
      'tree',
      'sync',
      'help',
    ]);
    expect(complete('ballast fleet ')).toEqual([
      'list',
      'get',
      'status',
      'clusters',
      'token',
      'deregister',
      'rollout',
      'help',
    ]);
    expect(complete('ballast completion ')).toEqual(['bash', 'zsh']);
  });

  it("offers a command's own flags, and -o's formats after -o", () => {
    expect(complete('ballast sync --ti')).toEqual(['--timeout']);
    expect(complete('ballast app list -o ')).toEqual(['table', 'json']);
    // After a flag that takes a value, bash's file names (complete -o default), not flags.
    expect(complete('ballast sync -n ')).toEqual([]);
    expect(complete('ballast sync -n web --ap')).toEqual(['--app']);
    expect(complete('ballast app get -o ')).toEqual(['yaml', 'json']);
    expect(complete('ballast fleet clusters -o ')).toEqual([
      'table',
      'wide',
      'json',
      'yaml',
      'name',
    ]);
    expect(complete('ballast fleet status --fleet-namespace x --ex')).toEqual(['--exit-code']);
  });
});

describe('ballast completion zsh', () => {
  it('registers for ballast with the same command lists as bash', async () => {
    const nodes = completionTree(await buildProgram([]));
    const zsh = zshScript(nodes);
    expect(zsh.startsWith('#compdef ballast\n')).toBe(true);
    expect(zsh).toContain('compdef _ballast ballast');
    const data = (s: string): string =>
      s.slice(s.indexOf('__ballast_commands() {'), s.indexOf('_ballast() {'));
    expect(data(zsh)).toBe(data(bashScript(nodes)));
  });
});

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBareRepo,
  startGitServer,
  WorkingClone,
  type GitServer,
} from '../../src/dev/git/index.js';
import { runCli, type CliResult } from '../support/cli.js';

const token = `tok_${randomBytes(12).toString('hex')}`;
let server: GitServer;
let clone: WorkingClone;
let dir: string;
let tokenFile: string;
const shas: Record<string, string> = {};

const ballast = (...args: string[]): Promise<CliResult> =>
  runCli(['lint-commits', ...args], { env: { XDG_CACHE_HOME: join(dir, 'cache') } });

async function writeMany(n: number, under: string): Promise<void> {
  for (let i = 0; i < n; i++) await clone.writeFile(`${under}/f${i}.yaml`, `n: ${i}\n`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ballast-lint-commits-'));
  server = await startGitServer({
    auth: { users: [], tokens: [token] },
    allowPush: true,
    ssh: false,
  });
  await createBareRepo(server, 'lint');
  clone = await WorkingClone.clone({
    url: server.httpUrl('lint'),
    access: { kind: 'bearer', token },
    dir: join(dir, 'clone'),
  });
  await clone.writeFile('apps/web/a.yaml', 'a: 1\n');
  shas.base = await clone.commit('base');
  await clone.writeFile('apps/web/a.yaml', 'a: 2\n');
  shas.small = await clone.commit('one file');
  await clone.push();
  // A branch of two 6-file commits, merged with --no-ff: the merge brings 12 files to main.
  await clone.git(['checkout', '--quiet', '-b', 'feature']);
  await writeMany(6, 'apps/web/one');
  await clone.commit('six');
  await writeMany(6, 'apps/web/two');
  await clone.commit('six more');
  await clone.git(['checkout', '--quiet', 'main']);
  await clone.writeFile('apps/api/x.yaml', 'x: 1\n');
  await clone.commit('api');
  await clone.git(['merge', '--quiet', '--no-ff', 'feature', '-m', 'merge feature']);
  shas.merge = await clone.head();
  await clone.push();
  // Not pushed: one small commit across two Applications, read with --dir.
  await clone.git(['checkout', '--quiet', '-b', 'both']);
  await clone.writeFile('apps/web/a.yaml', 'a: 3\n');
  await clone.writeFile('apps/api/x.yaml', 'x: 2\n');
  shas.both = await clone.commit('web and api at once');
  await clone.git(['checkout', '--quiet', 'main']);
  tokenFile = join(dir, 'token');
  await writeFile(tokenFile, token);
});

afterAll(async () => {
  await clone.remove();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('ballast lint-commits', () => {
  it('exits 0 when every commit since --since is within the limits', async () => {
    const r = await ballast(
      '--dir',
      clone.dir,
      '--ref',
      shas.small ?? '',
      '--since',
      shas.base ?? '',
      '--max-files',
      '1',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 commit(s) within the limits');
  });

  it('exits 1 naming a merge judged by its diff against its first parent, with author and counts', async () => {
    const r = await ballast(
      '--repo',
      server.httpUrl('lint'),
      '--git-token-file',
      tokenFile,
      '--insecure-allow-http-credentials',
      '--since',
      shas.small ?? '',
      '--path',
      'apps/web',
      '--max-files',
      '10',
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('LARGE');
    expect(r.stdout).toContain('1 of 4 commit(s) over the limits');
    expect(r.stdout).toMatch(
      new RegExp(
        `${shas.merge?.slice(0, 12) ?? '-'}\\s+Ballast Test <ballast-test@example\\.invalid>\\s+12\\s+1\\s+files`,
      ),
    );
  });

  it('counts the Applications a commit touches over --app-path', async () => {
    const lint = (maxApps: string): Promise<CliResult> =>
      ballast(
        '--dir',
        clone.dir,
        '--ref',
        'both',
        '--since',
        shas.merge ?? '',
        '--path',
        'apps/web',
        '--app-path',
        'apps/api',
        '--max-apps',
        maxApps,
        '-o',
        'json',
      );
    const over = await lint('1');
    expect(over.code).toBe(1);
    expect(JSON.parse(over.stdout)).toMatchObject({
      kind: 'over',
      checked: 1,
      commits: [
        { sha: shas.both, filesChanged: 1, applicationsTouched: 2, over: ['applications'] },
      ],
    });
    expect((await lint('2')).code).toBe(0);
  });

  it('exits 2 on a usage error: no limit, or a --since that is not a commit', async () => {
    expect((await ballast('--dir', clone.dir, '--since', shas.base ?? '')).code).toBe(2);
    const r = await ballast('--dir', clone.dir, '--since', 'nope', '--max-files', '3');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--since nope: not a commit');
  });
});

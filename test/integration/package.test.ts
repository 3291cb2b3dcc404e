import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandModules } from '../../src/cli/program.js';
import { repoRoot } from '../../src/dev/paths.js';
import { run, type RunResult } from '../../src/exec/run.js';
import { tempDirs } from '../support/temp.js';

const temp = tempDirs();
afterAll(() => temp.removeAll());

/** Node 24 first on PATH, as `engines` asks of a machine that installs the package. */
const path = `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`;

/**
 * What npm needs of the machine to reach its registry: the home of its cache and config, a
 * TLS-intercepting proxy's CA and the proxy itself. Without them a registry fetch behind such
 * a proxy fails (SELF_SIGNED_CERT_IN_CHAIN) and npm retries until the test times out.
 */
const machine = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) =>
      k === 'HOME' ||
      /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|https?_proxy|no_proxy)$/i.test(k),
  ),
);

const ok = (r: RunResult, what: string): string => {
  if (r.kind !== 'ok') throw new Error(`${what}: ${JSON.stringify(r)}`);
  return r.stdout.toString('utf8');
};

describe('the npm package', () => {
  // The long timeout is for a cold npm cache, which downloads the dependencies first.
  it('npm pack makes a tarball that installs into an empty prefix, where `ballast --version` prints the version', async () => {
    const dir = await temp.make('ballast-package-');
    // --ignore-scripts: prepack would rebuild dist/ while other test files run the CLI from it;
    // the test run built it just before.
    const packed = JSON.parse(
      ok(
        await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
          cwd: repoRoot(),
          env: { PATH: path },
          timeoutMs: 120_000,
        }),
        'npm pack',
      ),
    ) as { filename: string; files: { path: string }[] }[];
    const files = packed[0]?.files.map((f) => f.path) ?? [];
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/src/cli/main.js',
        'dist/src/cli/start.js',
        'dist/src/render/worker.js',
        'tools/build.sh',
        'package.json',
      ]),
    );
    // No tests, test-only contract suites, source maps, TypeScript sources, bench or test support.
    expect(
      files.filter((f) => /\.test\.|contract|\.map$|\.ts$|^bench\/|^test\/|^src\//.test(f)),
    ).toEqual([]);

    const prefix = await temp.make('ballast-prefix-');
    const tarball = join(dir, packed[0]?.filename ?? '');
    ok(
      await run(
        'npm',
        [
          'install',
          '--global',
          '--prefix',
          prefix,
          '--prefer-offline',
          '--no-audit',
          '--no-fund',
          tarball,
        ],
        { env: { ...machine, PATH: path }, timeoutMs: 300_000 },
      ),
      'npm install --global',
    );
    const version = (
      JSON.parse(await readFile(join(repoRoot(), 'package.json'), 'utf8')) as { version: string }
    ).version;
    const ballast = join(prefix, 'bin', 'ballast');
    // Run from the prefix, away from the checkout: nothing may come from it.
    const printed = ok(
      await run(ballast, ['--version'], { cwd: prefix, env: { PATH: path }, timeoutMs: 60_000 }),
      'ballast --version',
    );
    expect(printed).toBe(`${version}\n`);
    // Every command's module loads from the installed tree (the completion script walks them all).
    const bash = ok(
      await run(ballast, ['completion', 'bash'], {
        cwd: prefix,
        env: { PATH: path },
        timeoutMs: 60_000,
      }),
      'ballast completion bash',
    );
    const commands = [...commandModules.flatMap((m) => m.names), 'help'].join(' ');
    expect(bash).toContain(`'') echo '${commands}'`);
  }, 420_000);
});

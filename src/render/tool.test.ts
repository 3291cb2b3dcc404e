import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultRenderOptions, defaultToolBinary } from './options.js';
import { runTool, withSandbox } from './tool.js';

describe('which helm and kustomize run', () => {
  let dir = '';
  const savedPath = process.env.PATH;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ballast-tool-'));
  });
  afterEach(async () => {
    process.env.PATH = savedPath;
    await rm(dir, { recursive: true, force: true });
  });

  /** A `kustomize` that prints the PATH it was given, so the test sees which one ran and how. */
  async function fakeKustomize(): Promise<void> {
    const file = join(dir, 'kustomize');
    await writeFile(file, '#!/bin/sh\necho "fake kustomize, PATH=$PATH"\n');
    await chmod(file, 0o755);
  }

  const kustomizeRun = (binary: string): Promise<Awaited<ReturnType<typeof runTool>>> =>
    withSandbox((sandbox) =>
      runTool(
        { tool: 'kustomize', binary, args: ['build'], sandbox, subject: 'app', root: dir },
        defaultRenderOptions(),
      ),
    );

  it("runs a tool named without a path from the controller's PATH, the tool itself seeing an empty one", async () => {
    await fakeKustomize();
    process.env.PATH = `${dir}:/usr/bin:/bin`;
    const r = await kustomizeRun('kustomize');
    expect(r.kind).toBe('ok');
    // The sandbox's PATH is its own empty bin directory, not the controller's.
    expect(r.kind === 'ok' && r.stdout).toMatch(
      /^fake kustomize, PATH=\/.*\/render-[^/:]+\/bin\n$/,
    );
  });

  it('refuses a tool found neither on PATH nor by its variable, naming both ways to provide it', async () => {
    process.env.PATH = `${dir}:/usr/bin:/bin`;
    const r = await kustomizeRun('kustomize');
    expect(r.kind === 'error' && r.error.message).toBe(
      "app: kustomize failed: no kustomize on PATH; install kustomize on the controller's PATH, or set BALLAST_KUSTOMIZE to its path",
    );
  });

  it('takes the binary from BALLAST_HELM and BALLAST_KUSTOMIZE, else the name to look up', () => {
    const env = { BALLAST_HELM: '/opt/helm/bin/helm', BALLAST_KUSTOMIZE: '' };
    expect(defaultToolBinary('helm', env)).toBe('/opt/helm/bin/helm');
    expect(defaultToolBinary('kustomize', env)).toBe('kustomize');
    expect(defaultToolBinary('helm', {})).toBe('helm');
  });
});

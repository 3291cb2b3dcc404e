import { readFileSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../bench/timing.js';
import { toolPath } from '../../src/dev/paths.js';
import { defaultRenderOptions } from '../../src/render/index.js';
import { runTool, withSandbox } from '../../src/render/tool.js';
import { eventually } from '../support/kube.js';
import { RenderScenario, type RunningController } from '../support/render-scenario.js';

const laughsFile = new URL('../../src/render/testdata/yaml/billion-laughs.yaml', import.meta.url);
/** A ConfigMap whose aliases expand to 9^9 strings: what kustomize blew up to 1 GB on. */
const bomb = readFileSync(laughsFile, 'utf8');
const MiB = 1024 * 1024;

let s: RenderScenario;
let controller: RunningController;

beforeAll(async () => {
  s = await RenderScenario.create(0);
  await s.push({
    'ok/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\ndata:\n  a: b\n',
    'bomb/kustomization.yaml': 'resources:\n  - bomb.txt\n',
    'bomb/bomb.txt': bomb,
  });
  controller = await s.startController();
  // The render worker is started by a first render, so the baseline includes it.
  await s.cluster.apply(s.application('ok', 'ok'));
  await eventually('ok is synced', 60_000, async () => (await s.ready('ok'))?.status === 'True');
  await sleep(1_000);
});

afterAll(async () => {
  await s.stop();
});

describe('an alias bomb behind a name kustomize does not judge by', () => {
  it('bomb.txt under resources: is refused in < 2 s naming the file, and the controller grows by < 50 MiB', async () => {
    const before = controller.memory();
    let peakRss = before.rss;
    const sampling = new AbortController();
    const sampler = (async () => {
      while (!sampling.signal.aborted) {
        peakRss = Math.max(peakRss, controller.memory().rss);
        await sleep(20);
      }
    })();
    const t0 = performance.now();
    await s.cluster.apply(s.application('bomb', 'bomb'));
    let message = '';
    while (performance.now() - t0 < 30_000) {
      const ready = await s.ready('bomb');
      if (ready?.status === 'False') {
        message = ready.message;
        break;
      }
      await sleep(25);
    }
    const refusedMs = performance.now() - t0;
    await sleep(1_000);
    sampling.abort();
    await sampler;
    const after = controller.memory();
    const figures = `refused in ${refusedMs.toFixed(0)} ms; RSS ${(before.rss / MiB).toFixed(1)} MiB before, peak ${(peakRss / MiB).toFixed(1)} MiB; VmHWM ${(before.hwm / MiB).toFixed(1)} -> ${(after.hwm / MiB).toFixed(1)} MiB`;
    console.info(`alias bomb: ${figures}`);
    expect(message).toMatch(/bomb\/bomb\.txt:\d+: .*aliases/);
    expect(refusedMs, figures).toBeLessThan(2_000);
    expect(peakRss - before.rss, figures).toBeLessThan(50 * MiB);
    expect(after.hwm - before.hwm, figures).toBeLessThan(50 * MiB);
  });

  it('kustomize itself is held to its memory limit: the same bomb handed to it is stopped', async () => {
    const dir = await s.temp.make('ballast-bomb-');
    await mkdir(join(dir, 'app'));
    await writeFile(join(dir, 'app', 'kustomization.yaml'), 'resources:\n  - bomb.txt\n');
    await cp(laughsFile, join(dir, 'app', 'bomb.txt'));
    const options = { ...defaultRenderOptions(), maxToolMemoryBytes: 256 * MiB };
    const t0 = performance.now();
    const r = await withSandbox((sandbox) =>
      runTool(
        {
          tool: 'kustomize',
          binary: toolPath('kustomize'),
          args: ['build', join(dir, 'app')],
          sandbox,
          subject: 'app',
          root: dir,
        },
        options,
      ),
    );
    const ms = performance.now() - t0;
    expect(r.kind === 'error' && r.error.message, `after ${ms.toFixed(0)} ms`).toMatch(
      /^app: kustomize needed more than its memory limit of 256 MiB and was stopped/,
    );
  });
});

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultUpOptions, devDown, devUp } from '../src/dev/controlplane.js';
import { repoRoot, toolPath } from '../src/dev/paths.js';
import { ensureTools } from '../src/dev/tools.js';
import { controlPlaneTools } from '../src/dev/versions.js';
import { run } from '../src/exec/run.js';

const objects = Number(process.env.BALLAST_BENCH_OBJECTS ?? '1000');

function manifest(i: number): string {
  const name = `bench-${String(i).padStart(4, '0')}`;
  switch (i % 3) {
    case 0:
      return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  index: "${i}"\n  payload: "${'x'.repeat(200)}"\n`;
    case 1:
      return `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  selector:\n    app: ${name}\n  ports:\n    - port: 80\n      targetPort: 8080\n`;
    default:
      // replicas: 0 keeps the measurement on apply, not on kwok scheduling a thousand pods.
      return `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  replicas: 0\n  selector:\n    matchLabels:\n      app: ${name}\n  template:\n    metadata:\n      labels:\n        app: ${name}\n    spec:\n      containers:\n        - name: app\n          image: nginx:1.27\n          ports:\n            - containerPort: 8080\n`;
  }
}

async function writeRepo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ballast-bench-repo-'));
  await mkdir(join(dir, 'app'));
  await Promise.all(
    Array.from({ length: objects }, (_, i) =>
      writeFile(join(dir, 'app', `obj-${i}.yaml`), manifest(i)),
    ),
  );
  return dir;
}

async function timed(
  label: string,
  file: string,
  args: string[],
  env: Record<string, string>,
): Promise<number> {
  const t0 = performance.now();
  const r = await run(file, args, { env, timeoutMs: 600_000, maxStdoutBytes: 256 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.kind !== 'ok') throw new Error(`${label} failed: ${JSON.stringify(r).slice(0, 2000)}`);
  return ms;
}

/**
 * A cold `ballast sync` of N objects (ConfigMaps, Services, Deployments) against
 * `kubectl apply --server-side` of the same files on the same apiserver, alternating which goes
 * first, then a warm no-change sync. Prints times and the ratio ballast ÷ kubectl.
 */
export async function benchSync(): Promise<void> {
  await ensureTools([...controlPlaneTools, 'kubectl'], (l) => process.stdout.write(l + '\n'));
  const state = await mkdtemp(join(tmpdir(), 'ballast-bench-cp-'));
  const up = await devUp({ ...defaultUpOptions(state), clusters: 1 });
  const kubeconfig = up.state.clusters[0]?.kubeconfig ?? '';
  const repo = await writeRepo();
  const env = { KUBECONFIG: kubeconfig };
  const node = process.execPath;
  const cli = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
  const kubectl = toolPath('kubectl');
  const ns = async (name: string): Promise<void> => {
    await timed('namespace', kubectl, ['create', 'namespace', name], env);
  };
  const kubectlApply = (n: string): Promise<number> =>
    timed(
      'kubectl',
      kubectl,
      [
        'apply',
        '--server-side',
        '--field-manager=kubectl-bench',
        '-n',
        n,
        '-R',
        '-f',
        join(repo, 'app'),
      ],
      env,
    );
  const ballastSync = (n: string): Promise<number> =>
    timed(
      'ballast',
      node,
      [
        cli,
        'sync',
        '--dir',
        join(repo, 'app'),
        '--app',
        n,
        '-n',
        n,
        '--kubeconfig',
        kubeconfig,
        '-o',
        'json',
      ],
      env,
    );
  try {
    const rows: string[] = [];
    const ratios: number[] = [];
    for (const round of [1, 2]) {
      const [k, b] = [`kubectl-${round}`, `ballast-${round}`];
      await ns(k);
      await ns(b);
      let kMs: number;
      let bMs: number;
      if (round === 1) {
        kMs = await kubectlApply(k);
        bMs = await ballastSync(b);
      } else {
        bMs = await ballastSync(b);
        kMs = await kubectlApply(k);
      }
      ratios.push(bMs / kMs);
      rows.push(
        `round ${round} (${round === 1 ? 'kubectl first' : 'ballast first'}): kubectl apply --server-side ${(kMs / 1000).toFixed(2)} s, ballast sync ${(bMs / 1000).toFixed(2)} s, ratio ${(bMs / kMs).toFixed(2)}`,
      );
    }
    const warmB = await ballastSync('ballast-1');
    const warmK = await kubectlApply('kubectl-1');
    process.stdout.write(
      `${objects} objects (ConfigMaps, Services, Deployments), one apiserver, processes timed end to end:\n`,
    );
    for (const r of rows) process.stdout.write(`  ${r}\n`);
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    process.stdout.write(
      `  cold ratio ballast ÷ kubectl, mean of 2: ${mean.toFixed(2)} (goal ≤ 0.5)\n`,
    );
    process.stdout.write(
      `  warm no-change: ballast sync ${(warmB / 1000).toFixed(2)} s (writes nothing), kubectl re-apply ${(warmK / 1000).toFixed(2)} s\n`,
    );
  } finally {
    await devDown(state);
    await rm(repo, { recursive: true, force: true });
  }
}

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultUpOptions, devDown, devUp } from '../src/dev/controlplane.js';
import { repoRoot, toolPath } from '../src/dev/paths.js';
import { ensureTools } from '../src/dev/tools.js';
import { controlPlaneTools } from '../src/dev/versions.js';
import { run } from '../src/exec/run.js';
import { cpuSeconds, settle } from './timing.js';

const objects = Number(process.env.BALLAST_BENCH_OBJECTS ?? '1000');
/** Rounds alternate which tool goes first; each creates its objects in fresh namespaces. */
const rounds = Number(process.env.BALLAST_BENCH_ROUNDS ?? '2');

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

interface Run {
  ms: number;
  apiserverCpu: number;
}

const describe = (r: Run): string =>
  `${(r.ms / 1000).toFixed(2)} s (apiserver ${r.apiserverCpu.toFixed(1)} CPU-s)`;

/**
 * A cold `ballast sync` of N objects (ConfigMaps, Services, Deployments) against
 * `kubectl apply --server-side` of the same files on the same apiserver, alternating which goes
 * first, then a warm no-change sync. Each run starts on a settled control plane. Prints times
 * and the ratio ballast ÷ kubectl.
 */
export async function benchSync(): Promise<void> {
  await ensureTools([...controlPlaneTools, 'kubectl'], (l) => process.stdout.write(l + '\n'));
  const state = await mkdtemp(join(tmpdir(), 'ballast-bench-cp-'));
  const up = await devUp({ ...defaultUpOptions(state), clusters: 1 });
  const kubeconfig = up.state.clusters[0]?.kubeconfig ?? '';
  const daemons = up.state.clusters[0]?.daemons ?? [];
  const controlPlane = [up.state.etcd.daemon.pid, ...daemons.map((d) => d.pid)];
  const apiserver = daemons.find((d) => d.role === 'kube-apiserver')?.pid ?? 0;
  const repo = await writeRepo();
  const env = { KUBECONFIG: kubeconfig };
  const kubectl = toolPath('kubectl');
  const cli = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
  const commands = {
    kubectl: (n: string): [string, string[]] => [
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
    ],
    ballast: (n: string): [string, string[]] => [
      process.execPath,
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
    ],
  };
  /** One run on a settled control plane: its wall time and the apiserver's CPU during it. */
  const measure = async (tool: keyof typeof commands, n: string): Promise<Run> => {
    await settle(controlPlane, 180_000);
    const cpu0 = cpuSeconds(apiserver);
    const ms = await timed(tool, ...commands[tool](n), env);
    return { ms, apiserverCpu: cpuSeconds(apiserver) - cpu0 };
  };
  try {
    const rows: string[] = [];
    const ratios: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const kubectlFirst = round % 2 === 1;
      for (const n of [`kubectl-${round}`, `ballast-${round}`])
        await timed('namespace', kubectl, ['create', 'namespace', n], env);
      const [one, two] = kubectlFirst
        ? (['kubectl', 'ballast'] as const)
        : (['ballast', 'kubectl'] as const);
      const first = await measure(one, `${one}-${round}`);
      const second = await measure(two, `${two}-${round}`);
      const [k, b] = kubectlFirst ? [first, second] : [second, first];
      ratios.push(b.ms / k.ms);
      rows.push(
        `round ${round} (${kubectlFirst ? 'kubectl' : 'ballast'} first): kubectl apply --server-side ${describe(k)}, ballast sync ${describe(b)}, ratio ${(b.ms / k.ms).toFixed(2)}`,
      );
    }
    const warmB = await measure('ballast', 'ballast-1');
    const warmK = await measure('kubectl', 'kubectl-1');
    process.stdout.write(
      `${objects} objects (ConfigMaps, Services, Deployments), one apiserver, processes timed end to end, each on a settled control plane:\n`,
    );
    for (const r of rows) process.stdout.write(`  ${r}\n`);
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    process.stdout.write(
      `  cold ratio ballast ÷ kubectl, mean of ${rounds}: ${mean.toFixed(2)} (goal ≤ 0.5)\n`,
    );
    process.stdout.write(
      `  warm no-change: ballast sync ${describe(warmB)} (writes nothing), kubectl re-apply ${describe(warmK)}\n`,
    );
  } finally {
    await devDown(state);
    await rm(repo, { recursive: true, force: true });
  }
}

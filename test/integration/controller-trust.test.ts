import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allowedSignersLine,
  createGpgSigner,
  createSshSigner,
  type GpgSigner,
  type SshSigner,
} from '../../src/dev/git/signing.js';
import { startControllerFixture, type ControllerFixture } from '../support/controller.js';
import { eventually } from '../support/kube.js';

let fx: ControllerFixture;
let gpg: GpgSigner;
let ssh: SshSigner;
let stranger: SshSigner;

const configMap = (value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: signed\ndata:\n  value: ${value}\n`;

const valueOf = async (): Promise<string | undefined> =>
  ((await fx.get('v1', 'ConfigMap', 'signed'))?.data as Record<string, string> | undefined)?.value;

const ready = (): ReturnType<ControllerFixture['condition']> => fx.condition('trusted', 'Ready');

async function events(reason: string): Promise<string> {
  const r = await fx.cluster.http.request(
    'GET',
    `/api/v1/namespaces/${fx.ns}/events?fieldSelector=reason%3D${reason}`,
  );
  return r.body;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

beforeAll(async () => {
  fx = await startControllerFixture({ clusterIndex: 1 });
  [gpg, ssh, stranger] = await Promise.all([
    createGpgSigner(),
    createSshSigner(),
    createSshSigner(),
  ]);
  await fx.cluster.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'trusted-keys', namespace: fx.ns },
    data: {
      'release.asc': b64(gpg.publicKeyArmored),
      'ci.pub': b64(allowedSignersLine(ssh.identity.email, ssh.publicKey)),
    },
  });
  await fx.repo.writeFile('app/cm.yaml', configMap('v1'));
  await fx.repo.commit('v1', { signer: gpg });
  await fx.repo.push();
  await fx.cluster.apply(
    fx.application('trusted', 'app', {
      verification: { mode: 'all', secretRef: { name: 'trusted-keys' } },
    }),
  );
});

afterAll(async () => {
  await fx.stop();
  await Promise.all([gpg.remove(), ssh.remove(), stranger.remove()]);
});

describe('a controller that applies only trusted commits', () => {
  it('applies an OpenPGP-signed commit and shows the signer in status and in its history entry', async () => {
    await eventually('v1 is applied', 60_000, async () => (await valueOf()) === 'v1');
    await eventually('status names the signer', 10_000, async () => {
      const v = (await fx.app('trusted'))?.status?.verification;
      return v?.result === 'Trusted' && v.fingerprint !== undefined && v.mode === 'all';
    });
    const status = (await fx.app('trusted'))?.status;
    const entry = status?.history?.find((h) => h.revision === status.verification?.revision);
    expect(entry?.signer).toBeDefined();
    expect(entry?.signer).toBe(status?.verification?.signer);
  });

  it('refuses an unsigned commit hidden under an SSH-signed head, and keeps healing the last good one', async () => {
    await fx.repo.writeFile('app/cm.yaml', configMap('unsigned'));
    const hidden = await fx.repo.commit('sneaky');
    await fx.repo.writeFile('app/README', 'looks harmless\n');
    await fx.repo.commit('signed on top', { signer: ssh });
    await fx.repo.push();
    await fx.cli('app', 'sync', 'trusted', '-n', fx.ns);
    await eventually('Ready=False VerificationFailed names the hidden commit', 30_000, async () => {
      const r = await ready();
      return (
        r?.status === 'False' &&
        r.reason === 'VerificationFailed' &&
        r.message.includes(hidden.slice(0, 12))
      );
    });
    expect(await valueOf()).toBe('v1');
    expect(await events('VerificationFailed')).toContain(hidden.slice(0, 12));
    // One word for why, which a fleet agent reports on its Assignment.
    expect((await fx.app('trusted'))?.status?.verification?.refusal).toBe('UnsignedCommit');
    await fx.kubectl(
      '-n',
      fx.ns,
      'patch',
      'configmap',
      'signed',
      '-p',
      '{"data":{"value":"hand"}}',
    );
    await eventually(
      'drift is healed to the last good revision',
      10_000,
      async () => (await valueOf()) === 'v1',
    );
  });

  it('refuses a commit signed by an untrusted key', async () => {
    await fx.repo.writeFile('app/cm.yaml', configMap('stranger'));
    const sha = await fx.repo.commit('by a stranger', { signer: stranger });
    await fx.repo.push();
    await fx.cli('app', 'sync', 'trusted', '-n', fx.ns);
    await eventually('the stranger commit is named in the refusal', 30_000, async () => {
      const r = await ready();
      return r?.reason === 'VerificationFailed' && r.message.includes(sha.slice(0, 12));
    });
    expect(await valueOf()).toBe('v1');
    expect((await fx.app('trusted'))?.status?.verification?.refusal).toBe('UntrustedKey');
  });

  it('refuses a force-push back to an older signed commit as NonFastForward', async () => {
    // Repair history with a signed fix-up first, so the app moves forward once.
    await fx.repo.git(['reset', '--hard', 'HEAD~3']);
    await fx.repo.writeFile('app/cm.yaml', configMap('v2'));
    await fx.repo.commit('v2', { signer: gpg });
    await fx.repo.git(['push', '--force', 'origin', 'HEAD:main']);
    await fx.cli('app', 'sync', 'trusted', '-n', fx.ns);
    await eventually('v2 is applied', 30_000, async () => (await valueOf()) === 'v2');
    const v2 = await fx.repo.head();
    await fx.repo.git(['reset', '--hard', 'HEAD~1']);
    const old = await fx.repo.head();
    await fx.repo.git(['push', '--force', 'origin', 'HEAD:main']);
    await fx.cli('app', 'sync', 'trusted', '-n', fx.ns);
    await eventually('Ready=False NonFastForward', 30_000, async () => {
      const r = await ready();
      return r?.reason === 'NonFastForward' && r.message.includes(old.slice(0, 12));
    });
    expect(await valueOf()).toBe('v2');
    expect((await fx.app('trusted'))?.status?.lastSyncedRevision).toBe(v2);
    expect((await fx.app('trusted'))?.status?.verification?.refusal).toBe('NotDescendant');
  });
});

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControllerOptions } from '../../src/reconcile/controller.js';
import { decryptionKeysFromSecretData, encryptSops } from '../../src/secrets/index.js';
import { startControllerFixture, type ControllerFixture } from '../support/controller.js';
import { eventually } from '../support/kube.js';

const ageKey = readFileSync(
  fileURLToPath(new URL('../../src/secrets/testdata/test.agekey', import.meta.url)),
  'utf8',
);
const recipient = /# public key: (age1\w+)/.exec(ageKey)?.[1] ?? '';

/** Another tenant's encrypted file, copied into this tenant's repository. */
async function copiedSecret(): Promise<string> {
  const text =
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: loot\nstringData:\n  token: s3cret\n';
  const r = await encryptSops(
    { path: 'loot.sops.yaml', text, format: 'yaml' },
    { age: [recipient], pgp: [] },
    { rules: { encryptedRegex: '^(data|stringData)$', macOnlyEncrypted: false } },
  );
  if (r.kind === 'error') throw r.error;
  return r.text;
}

let fx: ControllerFixture | undefined;

/** A controller holding controller-wide keys, shared with the namespaces `shared` lists. */
async function controllerSharing(
  shared: (ns: string) => ControllerOptions['sharedDecryptionNamespaces'],
): Promise<ControllerFixture> {
  const keys = await decryptionKeysFromSecretData({
    'shared.agekey': Buffer.from(ageKey).toString('base64'),
  });
  if (keys.kind === 'error') throw keys.error;
  // The namespace is the fixture's own, known only once it starts: the option reads it late.
  const listed: string[] = [];
  const started = await startControllerFixture({
    clusterIndex: 0,
    deps: { decryptionKeys: keys.keys },
    controller: { sharedDecryptionNamespaces: listed },
  });
  const wanted = shared(started.ns);
  if (wanted === 'all') throw new Error('list namespaces here');
  listed.push(...wanted);
  await started.repo.writeFile('app/loot.sops.yaml', await copiedSecret());
  await started.repo.commit('a copied SOPS file');
  await started.repo.push();
  return started;
}

afterEach(async () => {
  await fx?.stop();
  fx = undefined;
});

describe('controller-wide decryption keys', () => {
  it('refuse to decrypt for a tenant whose namespace the operator did not list, naming the recipient, and create no Secret', async () => {
    fx = await controllerSharing(() => ['some-other-team']);
    const f = fx;
    await f.cluster.apply(f.application('copy', 'app'));
    await eventually('the copy is refused', 60_000, async () => {
      return (await f.condition('copy', 'Ready'))?.reason === 'DecryptionFailed';
    });
    expect((await f.condition('copy', 'Ready'))?.message).toContain(recipient);
    expect(await f.get('v1', 'Secret', 'loot')).toBeUndefined();
  });

  it('decrypt for a namespace the operator listed', async () => {
    fx = await controllerSharing((ns) => [ns]);
    const f = fx;
    await f.cluster.apply(f.application('copy', 'app'));
    await eventually('the Secret is applied', 60_000, async () => {
      return (await f.get('v1', 'Secret', 'loot')) !== undefined;
    });
  });
});

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger, type Ledger } from '../../src/audit/index.js';
import { ledgerSink } from '../../src/reconcile/audit.js';
import { createLogger } from '../../src/reconcile/log.js';
import { encryptSops } from '../../src/secrets/index.js';
import { startControllerFixture, type ControllerFixture } from '../support/controller.js';
import { eventually } from '../support/kube.js';

const ageKeyFile = fileURLToPath(
  new URL('../../src/secrets/testdata/test.agekey', import.meta.url),
);
const ageKey = readFileSync(ageKeyFile, 'utf8');
const recipient = /# public key: (age1\w+)/.exec(ageKey)?.[1] ?? '';
/** A value that must reach the Secret in the cluster and nowhere else. */
const password = `pw-${randomBytes(8).toString('hex')}`;

let fx: ControllerFixture;
let ledger: Ledger;
let scratch: string;
const logLines: string[] = [];

async function encryptedSecret(): Promise<string> {
  const text = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${password}\n`;
  const r = await encryptSops(
    { path: 'db.sops.yaml', text, format: 'yaml' },
    { age: [recipient], pgp: [] },
    { rules: { encryptedRegex: '^(data|stringData)$', macOnlyEncrypted: false } },
  );
  if (r.kind === 'error') throw r.error;
  return r.text;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ballast-ledger-'));
  ledger = await openLedger(`sqlite:${join(scratch, 'audit.db')}`);
  fx = await startControllerFixture({
    clusterIndex: 1,
    deps: { audit: ledgerSink(ledger, () => undefined) },
    controller: {
      logger: createLogger({
        level: 'debug',
        destination: { write: (line: string) => void logLines.push(line) },
      }),
    },
  });
  await fx.cluster.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'sops-keys', namespace: fx.ns },
    data: { 'app.agekey': Buffer.from(ageKey).toString('base64') },
  });
  await fx.repo.writeFile('app/db.sops.yaml', await encryptedSecret());
  await fx.repo.writeFile(
    'app/cm.yaml',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n',
  );
  await fx.repo.commit('an app with a SOPS Secret');
  await fx.repo.push();
});

afterAll(async () => {
  await fx.stop();
  await ledger.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('a controller with SOPS secrets and an audit ledger', () => {
  it('syncs a SOPS-encrypted Secret and keeps the plaintext out of status, Events, logs and the ledger', async () => {
    await fx.cluster.apply(
      fx.application('sealed', 'app', { decryption: { secretRef: { name: 'sops-keys' } } }),
    );
    await eventually('the Secret holds the plaintext', 60_000, async () => {
      const s = await fx.get('v1', 'Secret', 'db');
      const data = s?.data as Record<string, string> | undefined;
      return data?.password === Buffer.from(password).toString('base64');
    });
    await eventually(
      'sealed is Synced',
      30_000,
      async () => (await fx.condition('sealed', 'Ready'))?.reason === 'Synced',
    );
    // Drift on the Secret is recorded by path, never by value.
    await fx.kubectl(
      '-n',
      fx.ns,
      'patch',
      'secret',
      'db',
      '-p',
      '{"stringData":{"password":"hand-set"}}',
    );
    await eventually('the Secret is healed', 10_000, async () => {
      const data = (await fx.get('v1', 'Secret', 'db'))?.data as Record<string, string> | undefined;
      return data?.password === Buffer.from(password).toString('base64');
    });
    await eventually('the ledger holds the sync and the revert', 10_000, async () => {
      const kinds = (await ledger.list()).map((r) => r.kind);
      return kinds.includes('sync-applied') && kinds.includes('drift-reverted');
    });

    const haystacks = [
      JSON.stringify(await fx.app('sealed')),
      (await fx.cluster.http.request('GET', `/api/v1/namespaces/${fx.ns}/events`)).body,
      logLines.join('\n'),
      JSON.stringify(await ledger.list()),
      (await fx.cliResult('app', 'diff', 'sealed', '-n', fx.ns)).stdout,
    ];
    const b64 = Buffer.from(password).toString('base64');
    for (const text of haystacks) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(b64);
    }
    const revert = (await ledger.list()).find((r) => r.kind === 'drift-reverted');
    expect(revert).toMatchObject({
      object: { kind: 'Secret', name: 'db' },
      paths: ['data changed'],
    });
    expect(await ledger.verify()).toMatchObject({ kind: 'intact' });
  });

  it('refuses an app whose SOPS key is missing, naming the file and the recipient it needs', async () => {
    await fx.cluster.apply(
      fx.application('keyless', 'app', {
        syncPolicy: { automated: {}, interval: '1h', retry: { limit: 0 } },
      }),
    );
    await eventually('keyless is DecryptionFailed', 60_000, async () => {
      const r = await fx.condition('keyless', 'Ready');
      return r?.reason === 'DecryptionFailed' && r.message.includes('db.sops.yaml');
    });
    expect((await fx.condition('keyless', 'Ready'))?.message).toContain(recipient);
  });
});

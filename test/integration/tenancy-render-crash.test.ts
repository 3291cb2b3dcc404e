import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../bench/timing.js';
import { removeTree } from '../../src/fs/remove.js';
import { encryptSops } from '../../src/secrets/index.js';
import { eventually } from '../support/kube.js';
import { RenderScenario } from '../support/render-scenario.js';

const ageKey = readFileSync(
  fileURLToPath(new URL('../../src/secrets/testdata/test.agekey', import.meta.url)),
  'utf8',
);
const recipient = /# public key: (age1\w+)/.exec(ageKey)?.[1] ?? '';
/** The plaintext that must not outlive the controller that decrypted it. */
const password = `pw-${randomBytes(12).toString('hex')}`;

/** Every regular file under `dir` whose content holds `needle`; unreadable entries are skipped. */
function filesHolding(dir: string, needle: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(d, name);
      try {
        const st = statSync(p, { throwIfNoEntry: false });
        if (st?.isDirectory() === true) walk(p);
        else if (st?.isFile() === true && st.size < 1024 * 1024) {
          if (readFileSync(p, 'utf8').includes(needle)) found.push(p);
        }
      } catch {
        // Removed while looking.
      }
    }
  };
  walk(dir);
  return found;
}

/**
 * Plaintext on the tmpfs: under this test's own plaintext directory, and in the directories
 * versions before per-process directories made straight under /dev/shm.
 */
function plaintextOnTmpfs(shm: string): string[] {
  const legacy = readdirSync('/dev/shm').filter((n) => n.startsWith('ballast-sops-'));
  return [shm, ...legacy.map((n) => join('/dev/shm', n))].flatMap((d) => filesHolding(d, password));
}

/** Enough objects that each kustomize build takes a while, so the crash lands mid-render. */
const padding = Array.from(
  { length: 3000 },
  (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pad-${i}\ndata:\n  i: "${i}"\n`,
).join('---\n');

let s: RenderScenario;
let tmp = '';
let shm = '';

beforeAll(async () => {
  s = await RenderScenario.create(0);
  const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${password}\n`;
  const sealed = await encryptSops(
    { path: 'app/db.sops.yaml', text: secret, format: 'yaml' },
    { age: [recipient], pgp: [] },
    { rules: { encryptedRegex: '^(data|stringData)$', macOnlyEncrypted: false } },
  );
  if (sealed.kind === 'error') throw sealed.error;
  await s.push({
    'app/kustomization.yaml': 'resources:\n  - db.sops.yaml\n  - padding.yaml\n',
    'app/db.sops.yaml': sealed.text,
    'app/padding.yaml': padding,
  });
  await s.cluster.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'sops-keys', namespace: s.ns },
    data: { 'app.agekey': Buffer.from(ageKey).toString('base64') },
  });
  // This test's own temp directory and tmpfs, so that only its controllers' leftovers count.
  tmp = await s.temp.make('ballast-crash-tmp-');
  shm = await mkdtemp('/dev/shm/render-crash-test-');
});

afterAll(async () => {
  await s.stop();
  await removeTree(shm);
});

describe('a controller killed mid-render of a SOPS app', () => {
  it('leaves no plaintext behind once it is started again', async () => {
    const env = { TMPDIR: tmp, BALLAST_PLAINTEXT_DIR: shm };
    const first = await s.startController(env);
    await s.cluster.apply(
      s.application('sealed', 'app', { decryption: { secretRef: { name: 'sops-keys' } } }),
    );
    // The decrypted copy kustomize reads exists only while it builds, in its sandbox: kill
    // the controller as soon as both show.
    const sandboxed = (): boolean => readdirSync(tmp).some((n) => n.startsWith('ballast-'));
    let leaked: string[] = [];
    const deadline = performance.now() + 60_000;
    while (!(leaked.length > 0 && sandboxed()) && performance.now() < deadline) {
      leaked = plaintextOnTmpfs(shm);
      if (!(leaked.length > 0 && sandboxed())) await sleep(2);
    }
    first.kill();
    expect(leaked.length, 'the decrypted copy was seen on the tmpfs').toBeGreaterThan(0);
    await eventually('the killed controller is gone', 10_000, () => {
      try {
        process.kill(first.daemon.pid, 0);
        return Promise.resolve(false);
      } catch {
        return Promise.resolve(true);
      }
    });
    // The crash left the plaintext where it was, and a render sandbox in the temp directory.
    expect(plaintextOnTmpfs(shm)).not.toEqual([]);
    const leftInTmp = readdirSync(tmp).filter((n) => n.startsWith('ballast-'));
    expect(leftInTmp).not.toEqual([]);
    // Without the Application, the restarted controller renders nothing: only its sweep can
    // remove what is there.
    await s.kubectl('-n', s.ns, 'delete', 'applications.ballast.dev', 'sealed');
    await s.startController(env);
    await eventually('the restarted controller has removed the plaintext', 10_000, () =>
      Promise.resolve(plaintextOnTmpfs(shm).length === 0),
    );
    expect(filesHolding('/dev/shm', password)).toEqual([]);
    // And the dead controller's render sandboxes in the temp directory went with it.
    expect(readdirSync(tmp).filter((n) => leftInTmp.includes(n))).toEqual([]);
    expect(readdirSync(shm).filter((n) => n.startsWith(`ballast-${first.daemon.pid}-`))).toEqual(
      [],
    );
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger, type Ledger } from '../../src/audit/index.js';
import { ledgerSink } from '../../src/reconcile/audit.js';
import { startControllerFixture, type ControllerFixture } from '../support/controller.js';
import { eventually } from '../support/kube.js';

let fx: ControllerFixture;
let ledger: Ledger;
let scratch: string;

const configMap = (name: string, value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: ${value}\n`;

const valueOf = async (name: string): Promise<string | undefined> =>
  ((await fx.get('v1', 'ConfigMap', name))?.data as Record<string, string> | undefined)?.value;

async function events(reason: string): Promise<string> {
  const r = await fx.cluster.http.request(
    'GET',
    `/api/v1/namespaces/${fx.ns}/events?fieldSelector=reason%3D${reason}`,
  );
  return r.body;
}

/** One commit changing `n` files under `dir`: the ConfigMap set to `value`, and n-1 notes. */
async function commitFiles(dir: string, n: number, value: string): Promise<string> {
  await fx.repo.writeFile(`${dir}/cm.yaml`, configMap(dir.split('/').pop() ?? '', value));
  for (let i = 1; i < n; i++) await fx.repo.writeFile(`${dir}/notes/${value}-${i}.md`, `${i}\n`);
  return fx.repo.commit(`${n} files in ${dir}`);
}

const policy = (action: 'warn' | 'refuse'): Record<string, unknown> => ({
  verification: { commitPolicy: { maxFilesChanged: 10, maxApplicationsTouched: 1, action } },
});

const sync = async (name: string): Promise<void> => {
  await fx.cli('app', 'sync', name, '-n', fx.ns);
};

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ballast-commit-policy-'));
  ledger = await openLedger(`sqlite:${join(scratch, 'audit.db')}`);
  fx = await startControllerFixture({
    clusterIndex: 1,
    deps: { audit: ledgerSink(ledger, () => undefined) },
  });
  await fx.repo.writeFile('apps/strict/cm.yaml', configMap('strict', 'v1'));
  await fx.repo.commit('strict v1');
  await fx.repo.writeFile('apps/lenient/cm.yaml', configMap('lenient', 'v1'));
  await fx.repo.commit('lenient v1');
  await fx.repo.push();
  await fx.cluster.apply(fx.application('strict', 'apps/strict', policy('refuse')));
  await fx.cluster.apply(fx.application('lenient', 'apps/lenient', policy('warn')));
  await eventually('v1 of both is applied', 60_000, async () => {
    return (await valueOf('strict')) === 'v1' && (await valueOf('lenient')) === 'v1';
  });
});

afterAll(async () => {
  await fx.stop();
  await ledger.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('a controller enforcing small commits', () => {
  let bigStrict = '';
  let bigLenient = '';

  it('refuses a 50-file commit under refuse, naming the commit, its author and the counts', async () => {
    bigStrict = await commitFiles('apps/strict', 50, 'v2');
    bigLenient = await commitFiles('apps/lenient', 50, 'v2');
    await fx.repo.push();
    await sync('strict');
    await eventually('Ready=False LargeCommit names the 50-file commit', 30_000, async () => {
      const r = await fx.condition('strict', 'Ready');
      return r?.status === 'False' && r.reason === 'LargeCommit';
    });
    const ready = await fx.condition('strict', 'Ready');
    expect(ready?.message).toContain(
      `commit ${bigStrict.slice(0, 12)} by Ballast Test <ballast-test@example.invalid>: 50 files changed (limit 10), 1 application touched`,
    );
    // The lenient commit on top changes nothing under apps/strict, so it is not named.
    expect(ready?.message).not.toContain(`commit ${bigLenient.slice(0, 12)}`);
    expect(await valueOf('strict')).toBe('v1');
    const verification = (await fx.app('strict'))?.status?.verification;
    expect(verification).toMatchObject({ result: 'Refused', refusal: 'LargeCommit' });
    expect(await events('LargeCommit')).toContain(bigStrict.slice(0, 12));
    await eventually('the refusal is in the ledger', 10_000, async () =>
      (await ledger.list()).some(
        (r) =>
          r.kind === 'commit-refused' &&
          r.app.name === 'strict' &&
          r.reason.includes(bigStrict.slice(0, 12)),
      ),
    );
  });

  it('applies a 50-file commit under warn, with a Warning Event, the LargeCommit condition and a ledger record', async () => {
    await sync('lenient');
    // The objects are applied before the pass writes its status: wait for both.
    await eventually('v2 is applied anyway, with the condition', 30_000, async () => {
      const large = await fx.condition('lenient', 'LargeCommit');
      return (await valueOf('lenient')) === 'v2' && large !== undefined;
    });
    const app = await fx.app('lenient');
    const large = app?.status?.conditions?.find((c) => c.type === 'LargeCommit');
    expect(large).toMatchObject({ status: 'True', reason: 'CommitPolicyExceeded' });
    expect(large?.observedGeneration).toBe(app?.metadata.generation);
    expect(large?.message).toContain(
      `commit ${bigLenient.slice(0, 12)} by Ballast Test <ballast-test@example.invalid>: 50 files changed (limit 10)`,
    );
    expect((await fx.condition('lenient', 'Ready'))?.status).toBe('True');
    await eventually('a Warning Event names the commit', 10_000, async () =>
      (await events('LargeCommit')).includes(bigLenient.slice(0, 12)),
    );
    await eventually('the ledger holds one large-commit record', 10_000, async () => {
      const records = (await ledger.list()).filter((r) => r.kind === 'large-commit');
      return (
        records.length === 1 &&
        records[0]?.kind === 'large-commit' &&
        records[0].commits[0]?.sha === bigLenient &&
        records[0].commits[0].filesChanged === 50
      );
    });
    expect(await ledger.verify()).toMatchObject({ kind: 'intact' });
  });

  it('a 1-file commit passes, and the LargeCommit condition clears', async () => {
    await fx.repo.writeFile('apps/lenient/cm.yaml', configMap('lenient', 'v3'));
    await fx.repo.commit('one file');
    await fx.repo.push();
    await sync('lenient');
    await eventually('v3 is applied', 30_000, async () => (await valueOf('lenient')) === 'v3');
    await eventually('the condition is gone', 10_000, async () => {
      return (await fx.condition('lenient', 'LargeCommit')) === undefined;
    });
    expect((await ledger.list()).filter((r) => r.kind === 'large-commit')).toHaveLength(1);
  });

  it('counts the Applications following the repository: one commit in both paths is over maxApplicationsTouched 1', async () => {
    await fx.repo.writeFile('apps/lenient/cm.yaml', configMap('lenient', 'v4'));
    await fx.repo.writeFile('apps/strict/other.md', 'x\n');
    const both = await fx.repo.commit('both apps');
    await fx.repo.push();
    await sync('lenient');
    await eventually('v4 is applied with a warning', 30_000, async () => {
      const large = await fx.condition('lenient', 'LargeCommit');
      return (await valueOf('lenient')) === 'v4' && large?.status === 'True';
    });
    expect((await fx.condition('lenient', 'LargeCommit'))?.message).toContain(
      `commit ${both.slice(0, 12)} by Ballast Test <ballast-test@example.invalid>: 1 file changed, 2 applications touched (limit 1)`,
    );
  });

  it('lets the refused commit through once its Application is set to warn, naming it in the warning', async () => {
    await fx.cluster.apply(fx.application('strict', 'apps/strict', policy('warn')));
    await eventually('strict moves past v1 with a warning', 30_000, async () => {
      const large = await fx.condition('strict', 'LargeCommit');
      return (await valueOf('strict')) === 'v2' && large?.status === 'True';
    });
    // The condition names the newest offender; the ledger record lists every one.
    await eventually('the ledger lists the once refused commit', 10_000, async () =>
      (await ledger.list()).some(
        (r) =>
          r.kind === 'large-commit' &&
          r.app.name === 'strict' &&
          r.commits.some((c) => c.sha === bigStrict && c.filesChanged === 50),
      ),
    );
    expect((await fx.condition('strict', 'Ready'))?.status).toBe('True');
  });

  it('still refuses a force-push back to an older commit as NonFastForward, before the policy is asked', async () => {
    const applied = (await fx.app('strict'))?.status?.lastSyncedRevision ?? '';
    await fx.repo.git(['reset', '--hard', `${bigStrict}~1`]);
    const old = await fx.repo.head();
    await fx.repo.git(['push', '--force', 'origin', 'HEAD:main']);
    await sync('strict');
    await eventually('Ready=False NonFastForward', 30_000, async () => {
      const r = await fx.condition('strict', 'Ready');
      return r?.reason === 'NonFastForward' && r.message.includes(old.slice(0, 12));
    });
    expect((await fx.app('strict'))?.status?.lastSyncedRevision).toBe(applied);
    expect(await valueOf('strict')).toBe('v2');
  });
});

import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../../src/audit/open.js';
import type { LedgerRecord } from '../../src/audit/types.js';
import {
  checkView,
  launchBrowser,
  markRealm,
  newPage,
  realmMarked,
  rowsWith,
  screenshot,
  signIn,
  waitForText,
} from '../support/browser.js';
import { eventually } from '../support/kube.js';
import { startUiWorld, type UiWorld } from '../support/ui-world.js';
import { deploymentYaml } from '../support/manifests.js';

/*
 * The web UI (issue 19) in Debian's chromium, served both ways: by `ballast ui` with the
 * operator's own kubeconfig, and by `ballast controller --ui` (a separate process, as its Pod
 * runs it) to a user signing in with a ServiceAccount token. Every wait is on a condition of the
 * page; nothing reloads unless the scenario says so.
 */

/** Both halves of a script injection: a <script> element and an inline event handler. */
const scriptNote = '<script>window.ballastXss=1</script><img src=x onerror=window.ballastXss=2>';

const files: Record<string, string> = {
  'web/app.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  annotations:
    ballast.test/note: '${scriptNote}'
data:
  greeting: hello
---
${deploymentYaml()}`,
  'cfg/cm.yaml': configMap('tuning', 'one'),
  'roll/cm.yaml': configMap('rolled', 'v1'),
};

function configMap(name: string, value: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: ${value}\n`;
}

let w: UiWorld;
let browser: Browser;
let page: Page;
const pages: Page[] = [];

beforeAll(async () => {
  const [world, b] = await Promise.all([startUiWorld(2, 'ui-app'), launchBrowser()]);
  w = world;
  browser = b;
  for (const [path, text] of Object.entries(files)) await w.repo.writeFile(path, text);
  await w.repo.commit('web, cfg and roll');
  await w.repo.push();
  await w.cluster.apply(w.application('web', 'web'));
  // Drift here is only reported, so the diff has a changed line to show.
  await w.cluster.apply(
    w.application('cfg', 'cfg', {
      syncPolicy: { automated: { prune: true }, drift: 'warn', interval: '1h' },
    }),
  );
  await w.cluster.apply(w.application('roll', 'roll'));
  await Promise.all(['web', 'cfg', 'roll'].map((a) => w.synced(a)));
}, 300_000);

afterAll(async () => {
  await browser.close();
  await w.stop();
}, 120_000);

afterEach(async (ctx) => {
  // A failed scenario leaves what its page showed, for whoever reads the CI log.
  if (ctx.task.result?.state === 'fail')
    for (const [i, p] of pages.entries()) await screenshot(p, `failed-${ctx.task.id}-${i}`);
  for (const p of pages.splice(0)) await p.context().close();
});

/** A page of `ballast ui`, which needs no sign-in: it acts with the operator's kubeconfig. */
async function operatorPage(): Promise<Page> {
  const { page: p } = await newPage(browser);
  pages.push(p);
  return p;
}

async function openApp(p: Page, base: string, name: string): Promise<void> {
  await p.goto(`${base}/apps/${w.ns}/${name}`);
  await p.getByRole('heading', { name: `${w.ns}/${name}`, exact: true }).waitFor();
  await p.getByRole('table', { name: 'Sync history', exact: true }).waitFor();
}

describe("`ballast ui` with an operator's kubeconfig", () => {
  it('lists a synced Application with its status words and a link to its page', async () => {
    page = await operatorPage();
    await page.goto(`${w.localUrl}/`);
    await page.getByRole('heading', { name: 'Applications', exact: true }).waitFor();
    const row = rowsWith(page, 'Applications', w.ns).filter({
      has: page.getByRole('link', { name: 'web', exact: true }),
    });
    await waitForText(row, 'Synced');
    await waitForText(row, 'Healthy');
    const link = row.getByRole('link', { name: 'web', exact: true });
    expect(await link.getAttribute('href')).toBe(`/apps/${w.ns}/web`);
    expect(await page.getByRole('region', { name: 'Status counts' }).isVisible()).toBe(true);
    // The user's name is in the header.
    await waitForText(page.locator('header'), w.userName('operator'));
    await checkView(page, 'applications');
  });

  it('shows a `kubectl scale` as drift reverted by self-heal, naming kubectl, in the open page without a reload', async () => {
    page = await operatorPage();
    await openApp(page, w.localUrl, 'web');
    await page.getByRole('tree', { name: 'Resource tree' }).waitFor();
    await checkView(page, 'application');
    await markRealm(page);
    await w.kubectl('-n', w.ns, 'scale', 'deployment/web', '--replicas=3');
    // Self-heal reverts it before status.drift is written, so the page shows it as the
    // controller records it: a DriftReverted Event naming who changed what, and no drift left.
    const drift = page.getByRole('region', { name: 'Drift', exact: true });
    const reverted = drift
      .getByRole('row')
      .filter({ hasText: 'DriftReverted' })
      .filter({ hasText: `Deployment.apps/${w.ns}/web` });
    await waitForText(reverted, 'changed by kubectl');
    await waitForText(reverted, 'replicas');
    await waitForText(drift, 'No drift recorded.');
    expect(await realmMarked(page)).toBe(true);
    const replicas = await w.kubectl(
      '-n',
      w.ns,
      'get',
      'deployment/web',
      '-o',
      'jsonpath={.spec.replicas}',
    );
    expect(replicas).toBe('1');
    await checkView(page, 'drift', drift);
  });

  it('renders an annotation holding <script> as text, and it never runs', async () => {
    page = await operatorPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await openApp(page, w.localUrl, 'web');
    await page
      .getByRole('tree', { name: 'Resource tree' })
      .getByRole('treeitem', { name: /ConfigMap\/settings/ })
      .click();
    const object = page.getByRole('region', { name: 'Object', exact: true });
    await object.getByRole('tab', { name: 'Live', exact: true }).click();
    await waitForText(object.locator('pre'), '<script>window.ballastXss=1</script>');
    await waitForText(object.locator('pre'), '<img src=x onerror=window.ballastXss=2>');
    const dom = {
      ran: await page.evaluate(() => (globalThis as { ballastXss?: number }).ballastXss),
      inlineScripts: await page.locator('script:not([src])').count(),
      injectedImages: await page.locator('img[src="x"]').count(),
    };
    expect(dom).toEqual({ ran: undefined, inlineScripts: 0, injectedImages: 0 });
    expect(dialogs).toEqual([]);
    await checkView(page, 'application-object', object.locator('pre'));
  });

  it('names the field manager of a changed line in the diff', async () => {
    page = await operatorPage();
    await openApp(page, w.localUrl, 'cfg');
    await markRealm(page);
    await w.kubectl(
      ...['-n', w.ns, 'patch', 'configmap', 'tuning', '--field-manager', 'hand-edit'],
      ...['-p', '{"data":{"value":"two"}}'],
    );
    const reported = rowsWith(page, 'Drift', /tuning/).filter({ hasText: 'Reported' });
    await waitForText(reported, 'hand-edit');
    expect(await realmMarked(page)).toBe(true);
    await checkView(
      page,
      'drift-reported',
      page.getByRole('region', { name: 'Drift', exact: true }),
    );
    await page
      .getByRole('tree', { name: 'Resource tree' })
      .getByRole('treeitem', { name: /ConfigMap\/tuning/ })
      .click();
    const object = page.getByRole('region', { name: 'Object', exact: true });
    await object.getByRole('tab', { name: 'Diff', exact: true }).click();
    const changed = rowsWith(page, 'Diff', '.data.value');
    await waitForText(changed, 'hand-edit');
    await waitForText(changed, 'two');
    await waitForText(changed, 'one');
    const headers = await page
      .getByRole('table', { name: 'Diff', exact: true })
      .getByRole('columnheader')
      .allTextContents();
    const managerColumn = headers.findIndex((h) => h.trim() === 'Manager');
    expect(managerColumn).toBeGreaterThanOrEqual(0);
    const cells = await changed.first().getByRole('cell').allTextContents();
    expect(cells[managerColumn]?.trim()).toBe('hand-edit');
    await checkView(page, 'diff', page.getByRole('table', { name: 'Diff', exact: true }));
    await object.getByRole('button', { name: 'Side by side', exact: true }).click();
    const table = page.getByRole('table', { name: 'Diff', exact: true });
    await table.getByRole('columnheader', { name: 'Desired', exact: true }).waitFor();
    await waitForText(rowsWith(page, 'Diff', '.data.value'), 'hand-edit');
    await checkView(page, 'diff-side-by-side', table);
  });

  it('rolls back through the button with a reason, which the ledger records with the user', async () => {
    page = await operatorPage();
    await openApp(page, w.localUrl, 'roll');
    const first = (await w.app('roll'))?.status?.history?.at(-1);
    if (first === undefined) throw new Error('roll has no history');
    await w.repo.writeFile('roll/cm.yaml', configMap('rolled', 'v2'));
    const second = await w.repo.commit('v2');
    await w.repo.push();
    await page.getByRole('button', { name: 'Sync now', exact: true }).click();
    await rowsWith(page, 'Sync history', second.slice(0, 7)).first().waitFor();

    await page.getByRole('button', { name: `Roll back to ${first.id}`, exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Roll back' });
    await dialog.waitFor();
    await checkView(page, 'history-dialog');
    const reason = `v2 broke checkout ${Date.now()}`;
    await dialog.getByLabel('Reason', { exact: true }).fill(reason);
    await dialog.getByRole('button', { name: 'Confirm rollback', exact: true }).click();
    await waitForText(
      page.getByRole('region', { name: 'Summary', exact: true }),
      `Pinned to ${first.id}`,
    );
    const record = await rollbackRecord(reason);
    expect(record.actor).toBe(w.userName('operator'));
    expect(record.kind === 'rollback' && record.toRevision).toBe(first.revision);

    await page.goto(`${w.localUrl}/audit`);
    await page.getByRole('heading', { name: 'Audit', exact: true }).waitFor();
    const row = rowsWith(page, 'Audit records', 'rollback').filter({
      hasText: w.userName('operator'),
    });
    await waitForText(row, reason);
    await waitForText(page.getByRole('region', { name: 'Chain', exact: true }), 'Chain intact');
    await checkView(page, 'audit');
  });
});

describe('`ballast controller --ui`, signed in with a read-only bearer token', () => {
  it('shows a read-only user no actions, and the apiserver refuses a crafted POST', async () => {
    const { page: p } = await newPage(browser);
    pages.push(p);
    await p.goto(`${w.url}/`);
    await p.waitForURL(/\/login$/);
    await p.getByLabel('Bearer token', { exact: true }).waitFor();
    await checkView(p, 'login');
    await signIn(p, w.url, await w.token('viewer'));
    await openApp(p, w.url, 'web');
    for (const name of ['Sync now', 'Refresh', 'Suspend', 'Resume'])
      expect(await p.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    expect(await p.getByRole('button', { name: /^Roll back to/ }).count()).toBe(0);

    const path = `/api/apps/${w.ns}/web/actions/sync`;
    const crafted = await p.evaluate(async (url) => {
      const session = (await (await fetch('/api/session')).json()) as { csrf: string };
      const post = async (
        headers: Record<string, string>,
      ): Promise<{ status: number; body: { message?: string; reason?: string } }> => {
        const r = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: '{}',
        });
        return { status: r.status, body: (await r.json()) as { message?: string } };
      };
      return {
        withCsrf: await post({ 'x-ballast-csrf': session.csrf }),
        withoutCsrf: await post({}),
      };
    }, path);
    expect(crafted.withoutCsrf).toMatchObject({
      status: 403,
      body: { message: 'missing or wrong CSRF token' },
    });
    expect(crafted.withCsrf).toMatchObject({ status: 403, body: { reason: 'Forbidden' } });
    const refusal = crafted.withCsrf.body.message ?? '';
    expect(refusal).toContain(w.userName('viewer'));
    expect(refusal).toMatch(/cannot patch/);
    // Nothing reached the Application.
    const annotations = (await w.app('web'))?.metadata.annotations ?? {};
    expect(annotations['ballast.dev/sync']).toBeUndefined();
  });
});

/** The rollback record holding `reason`, once the controller has written it. */
async function rollbackRecord(reason: string): Promise<LedgerRecord> {
  let found: LedgerRecord | undefined;
  await eventually('the ledger holds the rollback with its reason', 60_000, async () => {
    const ledger = await openLedger(w.ledgerUrl);
    try {
      const records = await ledger.list({ app: { namespace: w.ns, name: 'roll' } });
      found = records.find((r) => r.kind === 'rollback' && r.reason === reason);
    } finally {
      await ledger.close();
    }
    return found !== undefined;
  });
  if (found === undefined) throw new Error('unreachable');
  return found;
}

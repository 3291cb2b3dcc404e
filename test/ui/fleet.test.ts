import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/ports.js';
import { checkView, launchBrowser, newPage, rowsWith, waitForText } from '../support/browser.js';
import { startBallastProcess, type ControllerProcess } from '../support/controller-process.js';
import { webApp } from '../support/fleet-app.js';
import { appNamespace, FleetWorld } from '../support/fleet-world.js';
import { eventually } from '../support/kube.js';

/*
 * The Fleet views (issue 19) of `ballast ui` in local mode, with the hub's kubeconfig, over a
 * hub and 4 spokes of this file's own (`ballast dev fleet`, agents as processes, the real Git
 * server), in Debian's chromium.
 */

const spokes = ['spoke-1', 'spoke-2', 'spoke-3', 'spoke-4'];

let w: FleetWorld;
let ui: ControllerProcess;
let url = '';
let browser: Browser;
let page: Page;
let head = '';

beforeAll(async () => {
  const [world, b] = await Promise.all([FleetWorld.start(spokes.length, 30_000), launchBrowser()]);
  w = world;
  browser = b;
  head = await w.commit({ 'web/all.yaml': webApp({ cluster: '${cluster_name}' }) }, 'v1');
  await w.fleetApp('web', 'web', {
    clusterSelector: { matchExpressions: [{ key: 'region', operator: 'Exists' }] },
  });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  ui = startBallastProcess('ui', join(w.state, 'ui.log'), [
    ...['--kubeconfig', w.fleet.hub.kubeconfig, '--port', String(port)],
  ]);
  await eventually(`ballast ui serves ${url}`, 60_000, async () => {
    if (!ui.alive()) throw new Error(`ballast ui exited: ${JSON.stringify(await ui.lines())}`);
    return (await fetch(`${url}/api/session`).catch(() => undefined))?.status === 200;
  });
  await eventually('every spoke runs web at the head', 180_000, async () =>
    (await Promise.all(spokes.map((s) => w.syncedAt(s, 'web', head)))).every(Boolean),
  );
}, 400_000);

beforeEach(async () => {
  page = (await newPage(browser)).page;
});

afterEach(async () => {
  await page.context().close();
});

afterAll(async () => {
  await browser.close();
  await ui.stop();
  await w.close();
}, 120_000);

describe('the Fleet views of `ballast ui`', () => {
  it('lists the 4 spokes as Ready clusters and the FleetApplication', async () => {
    await page.goto(`${url}/`);
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Fleet', exact: true })
      .click();
    await page.getByRole('heading', { name: 'Fleet', exact: true }).waitFor();
    for (const s of spokes) await rowsWith(page, 'Clusters', s).first().waitFor();
    expect(await rowsWith(page, 'Clusters', /spoke-\d/).count()).toBe(4);
    const link = page
      .getByRole('table', { name: 'Fleet applications', exact: true })
      .getByRole('link', { name: 'web', exact: true });
    expect(await link.getAttribute('href')).toBe(`/fleet/${appNamespace}/web`);
    await checkView(page, 'fleet');
  });

  it('shows the FleetApplication as a matrix of its 4 spokes, each at the head, Synced and Healthy', async () => {
    await page.goto(`${url}/fleet/${appNamespace}/web`);
    const matrix = page.getByRole('table', { name: 'Fleet matrix', exact: true });
    await matrix.waitFor();
    for (const s of spokes) {
      const row = rowsWith(page, 'Fleet matrix', s);
      await waitForText(row, head.slice(0, 7));
      await waitForText(row, 'Synced');
      await waitForText(row, 'Healthy');
    }
    expect(await rowsWith(page, 'Fleet matrix', /spoke-\d/).count()).toBe(4);
    const groups = page.getByRole('region', { name: 'Rollout groups' });
    for (const s of spokes) await waitForText(groups, s);
    await checkView(page, 'fleet-matrix');
  });
});

import { readFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from 'playwright-core';
import { repoRoot } from '../../src/dev/paths.js';

/** Debian's chromium package, which .ci/run installs: no browser download at test time. */
export const chromiumPath = process.env.BALLAST_CHROMIUM ?? '/usr/bin/chromium';

/** How long a locator waits for its condition: live updates arrive in about a second. */
const waitMs = 30_000;

/** Where every view's screenshot goes (gitignored). */
export const screenshotDir = join(repoRoot(), 'test-results', 'ui');

/**
 * One headless chromium per test file. Headless chromium on a loaded 2-core machine needs
 * `--no-sandbox` (CI runs as root) and no GPU.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

/** A fresh context (its own cookies) and page for one scenario, sized like a laptop screen. */
export async function newPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(waitMs);
  const page = await context.newPage();
  return { context, page };
}

interface AxeNode {
  target: unknown[];
  html: string;
}
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: AxeNode[];
}

let axeSource: Promise<string> | undefined;

function readAxe(): Promise<string> {
  const require = createRequire(import.meta.url);
  axeSource ??= readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  return axeSource;
}

/**
 * Runs axe-core on the page as it is and throws on serious or critical violations, naming each
 * rule and the elements it found. axe's source is evaluated through the DevTools protocol
 * (`page.evaluate` of a string), which the page's CSP (`script-src 'self'`) does not govern, so
 * the check needs no weakening of the CSP the product serves: a <script> tag would be refused.
 */
export async function checkA11y(page: Page, view: string): Promise<void> {
  const loaded = await page.evaluate(() => 'axe' in globalThis);
  if (!loaded) await page.evaluate(await readAxe());
  const violations = await page.evaluate(async () => {
    // The whole document, as axe's default context.
    const axe = (globalThis as unknown as { axe: { run(): Promise<unknown> } }).axe;
    const r = (await axe.run()) as { violations: unknown[] };
    return r.violations;
  });
  const serious = (violations as AxeViolation[]).filter(
    (v) => v.impact === 'serious' || v.impact === 'critical',
  );
  if (serious.length === 0) return;
  const text = serious
    .map(
      (v) =>
        `${v.id} (${v.impact ?? '?'}): ${v.help}\n` +
        v.nodes
          .slice(0, 5)
          .map((n) => `    ${JSON.stringify(n.target)} ${n.html.slice(0, 160)}`)
          .join('\n'),
    )
    .join('\n  ');
  throw new Error(`axe: ${serious.length} serious violations on the ${view} view:\n  ${text}`);
}

/** Saves a screenshot of the viewport to test-results/ui/<view>.png; its path. */
export async function screenshot(page: Page, view: string): Promise<string> {
  await mkdir(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${view}.png`);
  await page.screenshot({ path });
  return path;
}

/**
 * Every view gets both: the accessibility check (of the whole page) and its screenshot, with
 * `show` scrolled into the viewport when the view is a part of a longer page.
 */
export async function checkView(page: Page, view: string, show?: Locator): Promise<void> {
  await show?.scrollIntoViewIfNeeded();
  await screenshot(page, view);
  await checkA11y(page, view);
}

/** Waits until `locator` holds `text` (a substring or pattern): live updates, no reload. */
export async function waitForText(locator: Locator, text: string | RegExp): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ state: 'visible' });
}

/**
 * Marks the page's JS realm, so a scenario can prove afterwards that what it saw arrived
 * without a reload (a reload or navigation makes a new realm without the mark).
 */
export async function markRealm(page: Page): Promise<void> {
  await page.evaluate(() => {
    (globalThis as { ballastTestMark?: boolean }).ballastTestMark = true;
  });
}

export async function realmMarked(page: Page): Promise<boolean> {
  return page.evaluate(
    () => (globalThis as { ballastTestMark?: boolean }).ballastTestMark === true,
  );
}

/** A table's data rows whose text includes `text`. */
export function rowsWith(page: Page, table: string, text: string | RegExp): Locator {
  return page
    .getByRole('table', { name: table, exact: true })
    .getByRole('row')
    .filter({ hasText: text });
}

/** Signs in through the Login view (`controller --ui`) with a bearer token. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Bearer token', { exact: true }).fill(token);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

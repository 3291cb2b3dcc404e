import { toolsOnPath } from '../src/dev/paths.js';
import { benchDevStartup } from './dev-startup.js';
import { benchSync } from './sync.js';
import { benchDrift } from './drift.js';
import { benchVerify } from './verify.js';
import { benchAudit } from './audit.js';
import { benchWebhook } from './webhook.js';

/** Benchmarks print figures; they never pass or fail on time. `npm run bench [name]`. */
const benches: Record<string, () => Promise<void>> = {
  'dev-startup': benchDevStartup,
  sync: benchSync,
  drift: benchDrift,
  verify: benchVerify,
  audit: benchAudit,
  webhook: benchWebhook,
  apps: async () => (await import('./apps.js')).benchApps(),
  dr: async () => (await import('./dr.js')).benchDr(),
  impersonation: async () => (await import('./impersonation.js')).benchImpersonation(),
  'yaml-keys': async () => (await import('./yaml-keys.js')).benchYamlKeys(),
  'fleet-small': async () => (await import('./fleet-small.js')).benchFleetSmall(),
  'fleet-pin': async () => (await import('./fleet-pin.js')).benchFleetPin(),
  ui: async () => (await import('./ui.js')).benchUi(),
};
// Not run by a bare `npm run bench`: 500 agents take the whole machine for half an hour, the
// soak takes it for ten minutes plus its warm-up.
const onlyByName: Record<string, () => Promise<void>> = {
  fleet: async () => (await import('./fleet.js')).benchFleet(),
  soak: async () => (await import('./soak.js')).benchSoak(),
};

// What the benches render or start finds the pinned helm and kustomize, as under `ballast dev`.
process.env.PATH = toolsOnPath(process.env.PATH);

// Names of benches; a `--flag value` after them is the bench's own (`apps -- --apps 10000`).
const wanted = process.argv
  .slice(2)
  .filter((a, i, all) => !a.startsWith('--') && all[i - 1]?.startsWith('--') !== true);
for (const [name, fn] of Object.entries({ ...benches, ...onlyByName })) {
  if (name in onlyByName && !wanted.includes(name)) continue;
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stdout.write(`\n== ${name}\n`);
  await fn();
}

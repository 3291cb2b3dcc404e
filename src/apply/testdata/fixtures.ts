import { readFileSync } from 'node:fs';
import { refOf, type KubeObject } from '../../api/object.js';
import { KubeApiError } from '../../cluster/errors.js';
import { defaultDiffOptions } from '../../diff/index.js';
import type { PlanOptions } from '../plan.js';
import type { PreparedObject } from '../prepare.js';

// Answers of kube-apiserver v1.36 to the requests a sync makes, captured by
// test/support/capture-apply-fixtures.ts: a cold sync of a ConfigMap, a Deployment and an
// invalid Service into namespace `shop` for the Application ballast-system/shop, then later syncs
// meeting kubectl's objects, another Application's, an immutable Job and a missing namespace.

interface Fixture {
  request: { line: string; body?: KubeObject };
  status: number;
  body: unknown;
}

function fixture(name: string): Fixture {
  const url = new URL(`./${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Fixture;
}

/** The object a captured request applied, prepared as the sync prepared it. */
export function sent(name: string): PreparedObject {
  const object = fixture(name).request.body;
  if (object === undefined) throw new Error(`fixture ${name}: its request applied nothing`);
  const origin = { file: `shop/${object.kind.toLowerCase()}.yaml`, line: 1 };
  const namespaced = object.kind !== 'CustomResourceDefinition';
  return { object, origin, namespaced, crdInSet: false };
}

/** The object a captured request got back (a GET's, an apply's or a dry run's answer). */
export function answered(name: string): KubeObject {
  const f = fixture(name);
  if (f.status !== 200 && f.status !== 201) throw new Error(`fixture ${name}: ${f.status}`);
  return f.body as KubeObject;
}

/** Whether a captured apply created its object (201) rather than changed one (200). */
export function created(name: string): boolean {
  return fixture(name).status === 201;
}

/** The error a captured refusal becomes, built as the cluster client builds it. */
export function refusal(name: string, verb: string): KubeApiError {
  const f = fixture(name);
  const subject = f.request.body === undefined ? name : refOf(f.request.body);
  return KubeApiError.from(subject, verb, f.status, JSON.stringify(f.body));
}

/** The options of a plain `ballast sync --app shop` (the Application is ballast-system/shop). */
export function planOptions(partial: Partial<PlanOptions> = {}): PlanOptions {
  return {
    validateColdCreates: false,
    namespacesCreated: [],
    previouslyApplied: new Set(),
    app: { namespace: 'ballast-system', name: 'shop' },
    adopt: false,
    forceRecreate: false,
    concurrency: 4,
    diff: { ...defaultDiffOptions(), text: false },
    ...partial,
  };
}

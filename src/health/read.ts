import type { KubeObject } from '../api/object.js';

/**
 * Readers for the untyped parts of a live object. Status is written by controllers of every
 * version and shape; these never throw and answer undefined for anything unexpected.
 */

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at a path of object keys, or undefined. */
export function at(obj: unknown, ...path: string[]): unknown {
  let here = obj;
  for (const key of path) {
    if (!isRecord(here)) return undefined;
    here = here[key];
  }
  return here;
}

/** A whole number at a path. */
export function int(obj: unknown, ...path: string[]): number | undefined {
  const value = at(obj, ...path);
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

/** A whole number at a path; absent counts as 0, because Kubernetes omits zero counters. */
export function count(obj: unknown, ...path: string[]): number {
  return int(obj, ...path) ?? 0;
}

export function text(obj: unknown, ...path: string[]): string | undefined {
  const value = at(obj, ...path);
  return typeof value === 'string' ? value : undefined;
}

export function list(obj: unknown, ...path: string[]): unknown[] {
  const value = at(obj, ...path);
  return Array.isArray(value) ? value : [];
}

/** A standard status condition (metav1.Condition and its older look-alikes). */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** `status.conditions`, keeping only well-formed entries. */
export function conditions(obj: KubeObject): Condition[] {
  const found: Condition[] = [];
  for (const raw of list(obj, 'status', 'conditions')) {
    const type = text(raw, 'type');
    const status = text(raw, 'status');
    if (type === undefined || (status !== 'True' && status !== 'False' && status !== 'Unknown')) {
      continue;
    }
    found.push({
      type,
      status,
      reason: text(raw, 'reason') ?? '',
      message: text(raw, 'message') ?? '',
    });
  }
  return found;
}

export function condition(obj: KubeObject, type: string): Condition | undefined {
  return conditions(obj).find((c) => c.type === type);
}

/** "reason: message", or whichever of the two is there. */
export function describe(c: Condition): string {
  return [c.reason, c.message].filter((s) => s !== '').join(': ') || `${c.type} is ${c.status}`;
}

/**
 * Whether the controller has not yet seen the latest spec. Until it has, every other status
 * field describes an older spec and says nothing about this one.
 * `reporting` says what an absent observedGeneration means: built-in workload controllers
 * always write it (`always`), so absent is "not yet"; many custom controllers never write it
 * (`optional`), so absent tells nothing.
 */
export function isUnobserved(obj: KubeObject, reporting: 'always' | 'optional'): boolean {
  const generation = int(obj, 'metadata', 'generation');
  const observed = int(obj, 'status', 'observedGeneration');
  if (generation === undefined) return false;
  if (observed === undefined) return reporting === 'always';
  return observed < generation;
}

export function unobservedMessage(obj: KubeObject): string {
  const generation = int(obj, 'metadata', 'generation') ?? 0;
  return `waiting for the controller to observe generation ${generation}`;
}

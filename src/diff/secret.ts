import { Buffer } from 'node:buffer';
import { isRecord, type JsonRecord } from './json.js';

/**
 * Folds `stringData` into `data` the way the apiserver does on write (base64, `stringData`
 * winning on conflicts), in place. The dry-run result has already done this, but a desired
 * object straight from the manifests may not have, and comparing `stringData.password`
 * against `data.password` would otherwise be a false diff.
 */
export function foldStringData(secret: JsonRecord): void {
  const stringData = secret['stringData'];
  if (!isRecord(stringData)) return;
  const data = isRecord(secret['data']) ? secret['data'] : {};
  for (const [key, value] of Object.entries(stringData)) {
    data[key] = typeof value === 'string' ? Buffer.from(value, 'utf8').toString('base64') : value;
  }
  secret['data'] = data;
  delete secret['stringData'];
}

/** What a masked value says instead of itself. Fixed text, so nothing leaks, not even length. */
export const MASK = {
  unchanged: '*** (unchanged)',
  changed: '*** (changed)',
  previous: '*** (previous)',
  added: '*** (added)',
  removed: '*** (removed)',
} as const;

/**
 * Replaces every `data` and `stringData` value of two copies of a Secret with a marker, in place.
 * A key whose value differs reads `*** (previous)` on the live side and `*** (changed)` on the
 * desired side, so the line diff shows it changed without showing either value. Either side may
 * be absent (create or prune): its keys then read as added or removed.
 */
export function maskSecretPair(
  live: JsonRecord | undefined,
  desired: JsonRecord | undefined,
): void {
  const liveData = valuesOf(live);
  const desiredData = valuesOf(desired);
  for (const side of [live, desired]) {
    if (side === undefined) continue;
    for (const field of ['data', 'stringData']) {
      const map = side[field];
      if (!isRecord(map)) continue;
      for (const key of Object.keys(map)) {
        map[key] = marker(key, side === live ? 'live' : 'desired', liveData, desiredData);
      }
    }
  }
}

function marker(
  key: string,
  side: 'live' | 'desired',
  liveData: Map<string, unknown>,
  desiredData: Map<string, unknown>,
): string {
  const inLive = liveData.has(key);
  const inDesired = desiredData.has(key);
  if (!inLive) return MASK.added;
  if (!inDesired) return MASK.removed;
  if (liveData.get(key) === desiredData.get(key)) return MASK.unchanged;
  return side === 'live' ? MASK.previous : MASK.changed;
}

/** The effective data of a Secret copy (after folding, `data` is the whole truth). */
function valuesOf(secret: JsonRecord | undefined): Map<string, unknown> {
  const values = new Map<string, unknown>();
  const data = secret?.['data'];
  if (isRecord(data)) for (const [k, v] of Object.entries(data)) values.set(k, v);
  return values;
}

import { refKey, refOf, type KubeObject, type Origin } from '../api/object.js';
import { DuplicateObjectError, InvalidObjectError, LimitExceededError } from './errors.js';
import type { ParseLimits } from './options.js';
import type { RenderedObject, RendererName, RenderFailed, RenderResult } from './types.js';
import { isListKind, parseDocuments, type ParsedDocument } from './yaml.js';

export type ObjectsResult =
  { kind: 'ok'; objects: RenderedObject[] } | { kind: 'error'; error: InvalidObjectError };

/** Maps a line of the parsed text to the place in the repository it stands for. */
export type Locate = (line: number) => Origin;

/**
 * Turns one document into objects: a `FooList` becomes its items (each located at its own
 * line), anything else must be a single valid object.
 */
export function documentObjects(doc: ParsedDocument, locate: Locate): ObjectsResult {
  const objects: RenderedObject[] = [];
  const error = collect(doc.value, locate(doc.line), doc.itemLines, locate, objects);
  return error === undefined ? { kind: 'ok', objects } : { kind: 'error', error };
}

/** Parses a multi-document text and turns every document into objects. */
export function textObjects(
  text: string,
  file: string,
  limits: ParseLimits,
  locate: Locate,
): { kind: 'ok'; objects: RenderedObject[] } | RenderFailed {
  const parsed = parseDocuments(text, file, limits);
  if (parsed.kind === 'error') return parsed;
  const objects: RenderedObject[] = [];
  for (const doc of parsed.documents) {
    const result = documentObjects(doc, locate);
    if (result.kind === 'error') return result;
    objects.push(...result.objects);
  }
  return { kind: 'ok', objects };
}

function collect(
  value: unknown,
  origin: Origin,
  itemLines: readonly number[],
  locate: Locate,
  into: RenderedObject[],
): InvalidObjectError | undefined {
  if (!isListKind(value)) {
    const checked = validateObject(value, origin);
    if (checked instanceof InvalidObjectError) return checked;
    into.push({ object: checked, origin });
    return undefined;
  }
  // An empty list is written as `items: null` often enough (kustomize does the same).
  if (value.items === null) return undefined;
  if (!Array.isArray(value.items)) {
    return new InvalidObjectError(
      origin,
      `${value.kind} has 'items' that is not a list`,
      'make items a YAML sequence of objects',
    );
  }
  for (const [i, item] of (value.items as unknown[]).entries()) {
    const line = itemLines[i];
    // Nested lists have no line table of their own; their items share the enclosing line.
    const error = collect(item, line === undefined ? origin : locate(line), [], locate, into);
    if (error !== undefined) return error;
  }
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}

/** Checks the fields every Kubernetes object needs, so later stages can trust `KubeObject`. */
export function validateObject(value: unknown, origin: Origin): KubeObject | InvalidObjectError {
  if (!isRecord(value)) {
    return new InvalidObjectError(
      origin,
      'the document is not a Kubernetes object (a mapping with apiVersion, kind and metadata)',
      'remove the document or turn it into an object',
    );
  }
  if (!nonEmptyString(value.apiVersion)) {
    return new InvalidObjectError(
      origin,
      'the object has no apiVersion',
      'add one, such as `apiVersion: v1`',
    );
  }
  if (!nonEmptyString(value.kind)) {
    return new InvalidObjectError(
      origin,
      'the object has no kind',
      'add one, such as `kind: ConfigMap`',
    );
  }
  const metadata = value.metadata;
  if (!isRecord(metadata) || !nonEmptyString(metadata.name)) {
    return new InvalidObjectError(
      origin,
      `the ${value.kind} has no metadata.name`,
      'give it a fixed name (generateName cannot be used: Ballast must find the object again)',
    );
  }
  return checkMetadata(value as KubeObject, metadata, origin);
}

function checkMetadata(
  object: KubeObject,
  metadata: Record<string, unknown>,
  origin: Origin,
): KubeObject | InvalidObjectError {
  // kubectl treats `namespace:`, `labels:` or `annotations:` with no value as absent; so do
  // we, so that identities and the KubeObject type hold.
  for (const key of ['namespace', 'labels', 'annotations'] as const) {
    if (metadata[key] === null) Reflect.deleteProperty(metadata, key);
  }
  const subject = { ...origin, object };
  if (metadata.namespace !== undefined && typeof metadata.namespace !== 'string') {
    return new InvalidObjectError(subject, 'metadata.namespace is not a string', 'quote it');
  }
  for (const key of ['labels', 'annotations'] as const) {
    const map = metadata[key];
    if (map === undefined) continue;
    if (!isRecord(map)) {
      return new InvalidObjectError(
        subject,
        `metadata.${key} is not a mapping`,
        'write it as `key: value` pairs',
      );
    }
    const bad = Object.entries(map).find(([, v]) => typeof v !== 'string');
    if (bad !== undefined) {
      return new InvalidObjectError(
        subject,
        `the value of ${key.slice(0, -1)} '${bad[0]}' is ${JSON.stringify(bad[1])}, not a string`,
        `quote it, as in \`${bad[0]}: "${String(bad[1])}"\``,
      );
    }
  }
  return object;
}

/**
 * Refuses two objects with the same group, kind, namespace and name, and more objects than the
 * limit. Either would make the apply stage's outcome depend on order.
 */
export function checkObjects(
  objects: readonly RenderedObject[],
  limits: ParseLimits,
  appPath: string,
): DuplicateObjectError | LimitExceededError | undefined {
  if (objects.length > limits.maxObjects) {
    return new LimitExceededError(
      { file: appPath },
      `the application renders ${objects.length} objects, over the limit of ${limits.maxObjects}`,
      'split it into several applications or raise limits.maxObjects',
    );
  }
  const seen = new Map<string, Origin>();
  for (const { object, origin } of objects) {
    const key = refKey(refOf(object));
    const first = seen.get(key);
    if (first !== undefined) return new DuplicateObjectError({ ...origin, object }, first);
    seen.set(key, origin);
  }
  return undefined;
}

/** The common last step of every renderer: the whole set is checked, then returned. */
export function finish(
  renderer: RendererName,
  objects: RenderedObject[],
  warnings: string[],
  limits: ParseLimits,
  appPath: string,
): RenderResult {
  const error = checkObjects(objects, limits, appPath);
  if (error !== undefined) return { kind: 'error', error };
  return { kind: 'ok', renderer, objects, warnings };
}

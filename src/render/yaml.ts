import {
  Composer,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  Parser,
  type Document,
  type Tags,
} from 'yaml';
import { InvalidYamlError, LimitExceededError } from './errors.js';
import type { ParseLimits } from './options.js';

/** One non-empty YAML document. */
export interface ParsedDocument {
  /** The document as plain data (objects, arrays, strings, numbers, booleans, null). */
  value: unknown;
  /** 1-based line where the document's content starts (after `---` and leading comments). */
  line: number;
  /** Character offset of that line's content in the parsed text. */
  offset: number;
  /** For `FooList` documents with an `items` sequence: the line of each item, in order. */
  itemLines: number[];
}

export type ParseResult =
  | { kind: 'ok'; documents: ParsedDocument[] }
  | { kind: 'error'; error: InvalidYamlError | LimitExceededError };

const timestampTag = 'tag:yaml.org,2002:timestamp';

/**
 * kubectl reads manifests with go-yaml v2, which is YAML 1.1: `0644` is octal 420 and `yes`
 * is true, and real manifests depend on that (`defaultMode: 0755` in argo-cd's redis-ha).
 * go-yaml v2 has no sexagesimal numbers and keeps timestamps as strings, so those 1.1 types
 * are dropped; everything else follows the `yaml` package's 1.1 schema.
 */
function kubectlTags(tags: Tags): Tags {
  return tags.filter(
    (t) => typeof t === 'string' || (t.tag !== timestampTag && t.format !== 'TIME'),
  );
}

/**
 * Reads every document of a multi-document YAML (or JSON) text. Empty documents, such as a
 * trailing `---` or a comment-only document, are skipped. Documents are composed one at a
 * time so the size and alias limits apply before a document is turned into data.
 */
export function parseDocuments(text: string, file: string, limits: ParseLimits): ParseResult {
  const lines = new LineCounter();
  const lineAt = (offset: number): number => lines.linePos(offset).line;
  // The library's own duplicate-key check compares each key with every earlier one (a 60k-key
  // ConfigMap took 48 s); `duplicateKey` does the same check with one Set per mapping.
  const composer = new Composer({ version: '1.1', customTags: kubectlTags, uniqueKeys: false });
  const documents: ParsedDocument[] = [];
  const tokens = new Parser(lines.addNewLine).parse(text);
  for (const doc of composer.compose(tokens, true, text.length)) {
    const parsed = readDocument(text, doc, file, limits, lineAt);
    if (parsed.kind === 'error') return parsed;
    if (parsed.document !== undefined) documents.push(parsed.document);
  }
  return { kind: 'ok', documents };
}

type DocumentResult =
  | { kind: 'ok'; document: ParsedDocument | undefined }
  | { kind: 'error'; error: InvalidYamlError | LimitExceededError };

function readDocument(
  text: string,
  doc: Document.Parsed,
  file: string,
  limits: ParseLimits,
  lineAt: (offset: number) => number,
): DocumentResult {
  const [firstError] = doc.errors;
  if (firstError !== undefined) {
    const line = lineAt(firstError.pos[0]);
    return {
      kind: 'error',
      error: new InvalidYamlError({ file, line, cause: firstError }, firstError.message),
    };
  }
  const contents = doc.contents;
  if (contents === null) return { kind: 'ok', document: undefined };
  const duplicate = duplicateKey(contents);
  if (duplicate !== undefined) {
    const line = lineAt(duplicate.offset);
    const first = lineAt(duplicate.firstOffset);
    const problem = `Map keys must be unique: '${duplicate.key}' appears again (first at line ${first})`;
    return { kind: 'error', error: new InvalidYamlError({ file, line }, problem) };
  }
  const offset = contents.range[0];
  const line = lineAt(offset);
  const bytes = documentBytes(text, doc.range, limits.maxDocumentBytes);
  if (bytes > limits.maxDocumentBytes) {
    return {
      kind: 'error',
      error: new LimitExceededError(
        { file, line },
        `the document is ${bytes} bytes, over the limit of ${limits.maxDocumentBytes}`,
        'split it into smaller documents or raise limits.maxDocumentBytes',
      ),
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: limits.maxAliasCount });
  } catch (e) {
    return { kind: 'error', error: aliasOrSyntaxError(e, file, line, limits) };
  }
  if (value === null || value === undefined) return { kind: 'ok', document: undefined };
  return {
    kind: 'ok',
    document: { value, line, offset, itemLines: listItemLines(doc, value, lineAt) },
  };
}

interface DuplicateKey {
  key: string;
  offset: number;
  firstOffset: number;
}

/**
 * The first key that repeats within one mapping, as the `yaml` package would report it: two
 * scalar keys with the same value (`1` and `"1"` differ, as they do there). Walks the tree with
 * an explicit stack, so deep nesting costs no call stack; aliases are not followed, since the
 * node they name is walked where it is defined.
 */
function duplicateKey(root: unknown): DuplicateKey | undefined {
  const stack: unknown[] = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (isPair(node)) {
      stack.push(node.value, node.key);
      continue;
    }
    if (isSeq(node)) {
      stack.push(...node.items);
      continue;
    }
    if (!isMap(node)) continue;
    const seen = new Map<unknown, number>();
    for (const pair of node.items) {
      const key = pair.key;
      if (isScalar(key)) {
        const offset = key.range?.[0] ?? 0;
        const firstOffset = seen.get(key.value);
        if (firstOffset !== undefined) return { key: String(key.value), offset, firstOffset };
        seen.set(key.value, offset);
      }
      stack.push(pair.value, key);
    }
  }
  return undefined;
}

/** UTF-8 size of the document's source; exact only when it could matter against `limit`. */
function documentBytes(text: string, range: readonly number[], limit: number): number {
  const start = range[0] ?? 0;
  const end = range[2] ?? text.length;
  const chars = end - start;
  // A UTF-16 unit is 1 to 3 UTF-8 bytes, so only a document near the limit needs counting.
  if (chars > limit || chars * 3 <= limit) return chars;
  return Buffer.byteLength(text.slice(start, end));
}

function aliasOrSyntaxError(
  e: unknown,
  file: string,
  line: number,
  limits: ParseLimits,
): InvalidYamlError | LimitExceededError {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof ReferenceError && /alias/i.test(message)) {
    return new LimitExceededError(
      { file, line, cause: e },
      `the document expands its aliases beyond the limit of ${limits.maxAliasCount} (a "billion laughs" document)`,
      'write the values out instead of using YAML aliases',
    );
  }
  return new InvalidYamlError({ file, line, cause: e }, message);
}

function listItemLines(
  doc: Document.Parsed,
  value: unknown,
  lineAt: (o: number) => number,
): number[] {
  if (!isListKind(value) || !isMap(doc.contents)) return [];
  const items = doc.contents.get('items', true);
  if (!isSeq(items)) return [];
  return items.items.map((item) =>
    lineAt(isNode(item) && item.range ? item.range[0] : doc.range[0]),
  );
}

/** Any kind ending in `List` (ConfigMapList, RoleList, List) whose `items` holds the objects. */
export function isListKind(value: unknown): value is { kind: string; items: unknown } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return typeof v.kind === 'string' && v.kind.endsWith('List') && 'items' in v;
}

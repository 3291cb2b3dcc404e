import { Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import { SopsFormatError, SopsUnsupportedError } from './errors.js';
import { resolvePlainScalar } from './resolve.js';
import { toPlain, type SopsNode } from './tree.js';

/** A YAML or JSON file read the way sops reads it, with the metadata taken out. */
export interface ReadTree {
  documents: SopsNode[];
  /** The `sops` entry of the first document, as plain data; undefined when there is none. */
  metadata: unknown;
  /** 1-based line where each document starts, for origins. */
  lines: number[];
}

const strTag = 'tag:yaml.org,2002:str';

class ReadError extends Error {}

function toNode(node: unknown): SopsNode {
  if (node === null || node === undefined) return { kind: 'null' };
  if (isAlias(node)) {
    // sops writes aliases out as copies, so a sops file never holds one.
    throw new ReadError('YAML aliases are not allowed in a SOPS file');
  }
  if (isMap(node)) {
    const entries: [string, SopsNode][] = node.items.map((pair) => {
      if (!isScalar(pair.key) || typeof pair.key.value !== 'string') {
        throw new ReadError('only string keys are supported, as in sops');
      }
      return [pair.key.value, toNode(pair.value)];
    });
    return { kind: 'map', entries };
  }
  if (isSeq(node)) return { kind: 'seq', items: node.items.map(toNode) };
  if (isScalar(node)) {
    const text = String(node.value);
    const quoted = node.type !== undefined && node.type !== 'PLAIN';
    if (quoted || node.tag === strTag)
      return { kind: 'scalar', value: { type: 'str', value: text } };
    const v = resolvePlainScalar(text);
    return v === null ? { kind: 'null' } : { kind: 'scalar', value: v };
  }
  throw new ReadError('unexpected YAML node');
}

/**
 * Reads YAML (or JSON, which is YAML) with every scalar kept as its source text and then typed
 * as go-yaml would type it. Each document must be a mapping; the `sops` entries are removed.
 */
export function readYamlTree(
  file: string,
  text: string,
): ReadTree | SopsFormatError | SopsUnsupportedError {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, {
    schema: 'failsafe',
    uniqueKeys: true,
    lineCounter,
    prettyErrors: false,
  });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: ReadTree = { documents: [], metadata: undefined, lines: [] };
  for (const doc of list) {
    const [err] = doc.errors;
    if (err !== undefined)
      return new SopsFormatError(file, `invalid YAML: ${err.message}`, { cause: err });
    if (doc.contents === null) continue;
    let node: SopsNode;
    try {
      node = toNode(doc.contents);
    } catch (e) {
      if (e instanceof ReadError) return new SopsUnsupportedError(file, e.message);
      throw e;
    }
    if (node.kind !== 'map') return new SopsFormatError(file, 'a document is not a mapping');
    const at = node.entries.findIndex(([k]) => k === 'sops');
    if (at >= 0) {
      const [, meta] = node.entries.splice(at, 1)[0] ?? ['', { kind: 'null' }];
      // sops reads the metadata of the first document and drops the copies in the others.
      if (out.documents.length === 0) out.metadata = toPlain(meta);
    }
    out.documents.push(node);
    out.lines.push(lineCounter.linePos(doc.contents.range[0]).line);
  }
  return out;
}

/**
 * Writes documents as YAML that reads back the same under YAML 1.1 (kubectl) and go-yaml v3
 * (sops): strings such as `yes`, `0755` or `1_000` are quoted.
 */
export function writeYaml(values: readonly unknown[]): string {
  return values
    .map((v) => new Document(v, { version: '1.1' }).toString({ lineWidth: 0 }))
    .join('---\n');
}

/** JSON as sops writes it: tab-indented, with a final newline. */
export function writeJson(value: unknown): string {
  return `${JSON.stringify(value, null, '\t')}\n`;
}

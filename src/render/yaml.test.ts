import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidYamlError, LimitExceededError } from './errors.js';
import { defaultParseLimits } from './options.js';
import { parseDocuments, type ParsedDocument } from './yaml.js';

const limits = defaultParseLimits();
const testdata = new URL('./testdata/', import.meta.url);

function documents(text: string): ParsedDocument[] {
  const r = parseDocuments(text, 'app/x.yaml', limits);
  if (r.kind === 'error') throw r.error;
  return r.documents;
}

function values(text: string): unknown[] {
  return documents(text).map((d) => d.value);
}

// Kept inline rather than in testdata/ because prettier would "fix" the very quirks under test.
const quirks = [
  '# Shapes from the corpus: kube-prometheus (`- =`), kubernetes/examples (`kind: Deployment `',
  '# with a trailing space, quoted apiVersion, 1-space indent) and argo-cd redis-ha (0755).',
  'apiVersion: "apps/v1"',
  'kind: Deployment ',
  'metadata:',
  ' name: quirks',
  'spec:',
  '  enum:',
  "    - '!='",
  '    - =',
  '    - =~',
  '  defaultMode: 0755',
  '  built: 2024-01-02',
  '  window: 1:30',
  '  enabled: yes',
].join('\n');

describe('parseDocuments', () => {
  it('reads an unquoted `- =` list value as the string "="', () => {
    const [doc] = values(quirks) as Array<{ spec: { enum: unknown[] } }>;
    expect(doc?.spec.enum).toEqual(['!=', '=', '=~']);
  });

  it('drops the trailing space of a plain scalar such as `kind: Deployment `', () => {
    const [doc] = values(quirks) as Array<{ kind: unknown; apiVersion: unknown }>;
    expect(doc?.kind).toBe('Deployment');
    expect(doc?.apiVersion).toBe('apps/v1');
  });

  it('reads numbers and booleans the way kubectl (YAML 1.1) does: 0755 is octal, yes is true', () => {
    const [doc] = values(quirks) as Array<{ spec: Record<string, unknown> }>;
    expect(doc?.spec.defaultMode).toBe(0o755);
    expect(doc?.spec.enabled).toBe(true);
  });

  it('keeps timestamps and colon-separated numbers as strings, as go-yaml v2 does', () => {
    const [doc] = values(quirks) as Array<{ spec: Record<string, unknown> }>;
    expect(doc?.spec.built).toBe('2024-01-02');
    expect(doc?.spec.window).toBe('1:30');
  });

  it('skips empty documents: a comment prelude, comment-only documents and a trailing ---', () => {
    const text = '# header\n---\n# only a comment\n---\na: 1\n---\n---\n~\n---\nb: 2\n---\n';
    expect(values(text)).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('gives each document the line where its content starts', () => {
    const text = '# header\n---\n# banner\na: 1\n---\n\nb: 2\n';
    expect(documents(text).map((d) => d.line)).toEqual([4, 7]);
  });

  it('gives each item of a FooList its own line', () => {
    const text = 'kind: ConfigMapList\nitems:\n- a: 1\n- b: 2\n  c: 3\n- d: 4\n';
    expect(documents(text)[0]?.itemLines).toEqual([3, 4, 6]);
  });

  it('reads JSON, which is YAML', () => {
    expect(values('{"kind": "ConfigMap", "data": {"a": "1"}}')).toEqual([
      { kind: 'ConfigMap', data: { a: '1' } },
    ]);
  });

  it('refuses a billion-laughs document before expanding it', () => {
    const text = readFileSync(new URL('yaml/billion-laughs.yaml', testdata), 'utf8');
    const r = parseDocuments(text, 'app/lol.yaml', limits);
    expect(r.kind).toBe('error');
    if (r.kind !== 'error') return;
    expect(r.error).toBeInstanceOf(LimitExceededError);
    expect(r.error.message).toMatch(/^app\/lol\.yaml:1: .*alias/);
  });

  it('allows ordinary use of anchors and merge keys', () => {
    const text = 'base: &b {a: 1}\nuse:\n  <<: *b\n  b: 2\n';
    expect(values(text)).toEqual([{ base: { a: 1 }, use: { a: 1, b: 2 } }]);
  });

  it('reads an unquoted `y` key as true, exactly as kubectl would (quote it to keep the letter)', () => {
    expect(values("y: 1\n'n': 2\n")).toEqual([{ true: 1, n: 2 }]);
  });

  it('refuses a document over the size limit, naming its line', () => {
    const text = `a: 1\n---\nbig: "${'x'.repeat(200)}"\n`;
    const r = parseDocuments(text, 'app/big.yaml', { ...limits, maxDocumentBytes: 100 });
    expect(r.kind === 'error' && r.error).toBeInstanceOf(LimitExceededError);
    expect(r.kind === 'error' && r.error.message).toMatch(
      /^app\/big\.yaml:3: .*over the limit of 100/,
    );
  });

  it('counts the size in UTF-8 bytes, not characters', () => {
    const text = `v: "${'é'.repeat(60)}"\n`;
    expect(parseDocuments(text, 'x.yaml', { ...limits, maxDocumentBytes: 100 }).kind).toBe('error');
    expect(parseDocuments(text, 'x.yaml', { ...limits, maxDocumentBytes: 200 }).kind).toBe('ok');
  });

  it('reports a syntax error with the file and the line it is on', () => {
    const text = 'a: 1\n---\nb:\n  c: [unclosed\nd: 2\n';
    const r = parseDocuments(text, 'app/bad.yaml', limits);
    expect(r.kind === 'error' && r.error).toBeInstanceOf(InvalidYamlError);
    expect(r.kind === 'error' && r.error.message).toMatch(
      /^app\/bad\.yaml:[45]: is not valid YAML: .*fix the syntax$/s,
    );
  });

  it('refuses a mapping with the same key twice, as kubectl does', () => {
    const text = readFileSync(new URL('yaml/duplicate-key.yaml', testdata), 'utf8');
    const r = parseDocuments(text, 'app/dup.yaml', limits);
    expect(r.kind === 'error' && r.error.message).toMatch(
      /^app\/dup\.yaml:5: is not valid YAML: .*unique/,
    );
  });

  it('refuses a repeated key in a flow mapping nested in a list, naming both lines', () => {
    const text = 'a:\n  - b: 1\n  - {c: 1,\n     d: 2,\n     c: 3}\n';
    const r = parseDocuments(text, 'app/flow.yaml', limits);
    expect(r.kind === 'error' && r.error.message).toBe(
      "app/flow.yaml:5: is not valid YAML: Map keys must be unique: 'c' appears again (first at line 3); fix the syntax",
    );
  });

  it('keeps keys of equal text but different types apart, and the same key in sibling maps', () => {
    const text = 'a: {1: x, "1": y}\nb: {k: 1}\nc: {k: 2}\n';
    expect(parseDocuments(text, 'x.yaml', limits).kind).toBe('ok');
  });
});

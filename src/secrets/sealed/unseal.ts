import type { KubeObject } from '../../api/object.js';
import { hybridDecrypt, scopeLabel, scopeOf, type SealingScope } from './crypto.js';
import { privateKeyOf, type SealingKeys } from './keys.js';

/** The kind Ballast turns into a Secret while rendering. */
export const sealedSecretApiVersion = 'bitnami.com/v1alpha1';
export const sealedSecretKind = 'SealedSecret';

export function isSealedSecret(obj: KubeObject): boolean {
  return obj.kind === sealedSecretKind && obj.apiVersion === sealedSecretApiVersion;
}

export type UnsealResult =
  | {
      kind: 'ok';
      secret: KubeObject;
      /** Each encryptedData value opened, base64, before spec.template.data is applied. */
      opened: Record<string, string>;
    }
  | { kind: 'error'; problem: string; scope?: SealingScope };

interface SealedSpec {
  encryptedData?: unknown;
  data?: unknown;
  template?: {
    metadata?: { labels?: unknown; annotations?: unknown };
    type?: unknown;
    immutable?: unknown;
    data?: unknown;
  };
}

function stringMap(v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x !== 'string') return undefined;
    out[k] = x;
  }
  return out;
}

const templateRef = /\{\{-?\s*(?:\.([A-Za-z0-9_]+)|index\s+\.\s+"([^"\\]+)")\s*-?\}\}/g;

/**
 * `spec.template.data`: upstream runs each value as a Go template over the decrypted values.
 * The forms real files use, `{{ .key }}` and `{{ index . "key" }}`, are supported; any other
 * action is refused by name rather than silently left in the Secret.
 */
function expandTemplate(
  key: string,
  text: string,
  values: Record<string, string>,
): string | { problem: string } {
  let missing: string | undefined;
  const out = text.replace(templateRef, (_m, dotted?: string, indexed?: string) => {
    const name = dotted ?? indexed ?? '';
    const v = values[name];
    if (v === undefined) missing = name;
    return v ?? '';
  });
  if (missing !== undefined)
    return { problem: `spec.template.data.${key} refers to ${missing}, which encryptedData lacks` };
  if (out.includes('{{'))
    return {
      problem: `spec.template.data.${key} uses a template action Ballast does not run; only {{ .key }} and {{ index . "key" }} are supported`,
    };
  return out;
}

/** The scope and label a SealedSecret is opened under, from its own metadata, as upstream. */
export function labelOf(
  sealed: KubeObject,
  namespace: string,
): { scope: SealingScope; label: string } {
  const scope = scopeOf(sealed.metadata.annotations);
  return { scope, label: scopeLabel(scope, namespace, sealed.metadata.name) };
}

/**
 * The Secret `sealed` describes, decrypted in memory with the first key that opens each value.
 * `namespace` is where the Secret lands (the object's own, else the destination's). Problems
 * name fields, the scope and the keys tried, never a value.
 */
export function unsealSecret(
  sealed: KubeObject,
  namespace: string,
  keys: SealingKeys,
): UnsealResult {
  const spec = (sealed.spec ?? {}) as SealedSpec;
  if (spec.data !== undefined && spec.data !== null)
    return {
      kind: 'error',
      problem:
        'uses the deprecated spec.data form of sealed-secrets v0.1; reseal it with kubeseal or `ballast secrets seal` to get spec.encryptedData',
    };
  const encrypted = stringMap(spec.encryptedData);
  if (encrypted === undefined)
    return { kind: 'error', problem: 'spec.encryptedData must map keys to base64 strings' };
  const { scope, label } = labelOf(sealed, namespace);
  if (keys.keys.length === 0)
    return {
      kind: 'error',
      scope,
      problem: `no sealing keys are configured; the controller reads them from its own namespace (\`ballast secrets seal-keygen\` makes one)`,
    };
  const data: Record<string, string> = {};
  const values: Record<string, string> = {};
  for (const [key, b64] of Object.entries(encrypted)) {
    const blob = Buffer.from(b64, 'base64');
    let opened: Buffer | undefined;
    for (const k of keys.keys) {
      const r = hybridDecrypt(privateKeyOf(k), label, blob);
      if (r.kind === 'ok') {
        opened = r.plaintext;
        break;
      }
    }
    if (opened === undefined) {
      const tried = keys.keys.map((k) => k.source).join(', ');
      return {
        kind: 'error',
        scope,
        problem: `no sealing key opens encryptedData.${key} under the ${scope} scope (label "${label}"); tried ${tried}. Reseal it for this namespace and name with \`ballast secrets seal\` or kubeseal against \`ballast secrets cert\``,
      };
    }
    data[key] = opened.toString('base64');
    values[key] = opened.toString('utf8');
  }
  return buildSecret(sealed, namespace, spec, { ...data }, values, scope, data);
}

function buildSecret(
  sealed: KubeObject,
  namespace: string,
  spec: SealedSpec,
  data: Record<string, string>,
  values: Record<string, string>,
  scope: SealingScope,
  opened: Record<string, string>,
): UnsealResult {
  const t = spec.template ?? {};
  const labels = stringMap(t.metadata?.labels);
  const annotations = stringMap(t.metadata?.annotations);
  const templated = stringMap(t.data);
  if (labels === undefined || annotations === undefined || templated === undefined)
    return {
      kind: 'error',
      scope,
      problem:
        'spec.template metadata.labels, metadata.annotations and data must map keys to strings',
    };
  for (const [key, text] of Object.entries(templated)) {
    const v = expandTemplate(key, text, values);
    if (typeof v !== 'string') return { kind: 'error', scope, problem: v.problem };
    data[key] = Buffer.from(v, 'utf8').toString('base64');
  }
  const metadata: KubeObject['metadata'] = { name: sealed.metadata.name, namespace };
  if (Object.keys(labels).length > 0) metadata.labels = labels;
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata, data };
  if (typeof t.type === 'string' && t.type !== '') secret.type = t.type;
  if (typeof t.immutable === 'boolean') secret.immutable = t.immutable;
  return { kind: 'ok', secret, opened };
}

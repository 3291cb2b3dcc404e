import type { KubeObject, Origin } from '../api/object.js';
import type { DecryptionKeys, PgpIdentity } from '../secrets/index.js';
import { loadOpenPgp } from '../secrets/libs.js';
import {
  DecryptionFailedError,
  SubstitutionFailedError,
  DuplicateObjectError,
  InvalidObjectError,
  InvalidYamlError,
  LimitExceededError,
  PathEscapeError,
  RemoteResourceError,
  RenderIoError,
  ToolFailedError,
  UnsealFailedError,
  type AnyRenderError,
} from './errors.js';
import type { RenderOptions } from './options.js';
import type { RenderResult, RenderSource } from './types.js';

/**
 * What crosses between the main thread and a render worker. Class instances do not survive a
 * postMessage (an error arrives as a bare Error, a PGP key as a shapeless object), so errors
 * and keys travel as plain data and are rebuilt on the other side.
 */

/** A render error as data: enough to rebuild the same class with the same message. */
export interface WireError {
  name: AnyRenderError['name'];
  message: string;
  file: string;
  line: number | undefined;
  object: KubeObject | undefined;
  reference?: string | undefined;
  tool?: 'helm' | 'kustomize' | undefined;
  first?: Origin | undefined;
  /** The cause's message, when it had one (a ProcessError, a SopsError). */
  cause?: string | undefined;
}

export type WireResult =
  | {
      kind: 'ok';
      renderer: Extract<RenderResult, { kind: 'ok' }>['renderer'];
      objects: Extract<RenderResult, { kind: 'ok' }>['objects'];
      warnings: string[];
    }
  | { kind: 'error'; error: WireError };

export function toWireResult(r: RenderResult): WireResult {
  if (r.kind === 'ok') return r;
  const e = r.error;
  const wire: WireError = {
    name: e.name,
    message: e.message,
    file: e.file,
    line: e.line,
    object: e.object,
    ...(e.cause instanceof Error ? { cause: e.cause.message } : {}),
  };
  if (e instanceof RemoteResourceError) wire.reference = e.reference;
  if (e instanceof ToolFailedError) wire.tool = e.tool;
  if (e instanceof DuplicateObjectError) wire.first = e.first;
  return { kind: 'error', error: wire };
}

/** The error class `wire.name` names, with the very message it had in the worker. */
export function fromWireError(wire: WireError): AnyRenderError {
  const cause = wire.cause === undefined ? undefined : new Error(wire.cause);
  const subject = { file: wire.file, line: wire.line, object: wire.object, cause };
  const e = ((): AnyRenderError => {
    switch (wire.name) {
      case 'PathEscapeError':
        return new PathEscapeError(subject, '');
      case 'RemoteResourceError':
        return new RemoteResourceError(subject, wire.reference ?? '');
      case 'InvalidYamlError':
        return new InvalidYamlError(subject, '');
      case 'LimitExceededError':
        return new LimitExceededError(subject, '', '');
      case 'InvalidObjectError':
        return new InvalidObjectError(subject, '', '');
      case 'DuplicateObjectError':
        return wire.object === undefined
          ? new InvalidObjectError(subject, '', '')
          : new DuplicateObjectError(
              { ...subject, object: wire.object },
              wire.first ?? { file: wire.file, line: wire.line ?? 1 },
            );
      case 'ToolFailedError':
        return new ToolFailedError(subject, wire.tool ?? 'kustomize', '');
      case 'DecryptionFailedError':
        return new DecryptionFailedError(subject, '');
      case 'SubstitutionFailedError':
        return new SubstitutionFailedError(subject, '');
      case 'UnsealFailedError':
        return new UnsealFailedError(subject, '');
      case 'RenderIoError':
        return new RenderIoError(subject, '');
    }
  })();
  e.message = wire.message;
  return e;
}

export function fromWireResult(r: WireResult): RenderResult {
  return r.kind === 'ok' ? r : { kind: 'error', error: fromWireError(r.error) };
}

/** Decryption keys as data: age identities are strings already; PGP keys go armored. */
export interface WireKeys {
  age: DecryptionKeys['age'];
  pgp: { armored: string; fingerprint: string; source: string }[];
}

/** The options of one render as data. Key material stays in memory; postMessage never writes it anywhere. */
export type WireOptions = Omit<RenderOptions, 'decryption'> & { decryption?: WireKeys | undefined };

export interface RenderRequest {
  id: number;
  source: RenderSource;
  options: WireOptions;
}

/** What the pool sends a worker: a render, or a request for the next chunk of its result. */
export type WorkerRequest =
  { kind: 'render'; request: RenderRequest } | { kind: 'next'; id: number };

export function toWireOptions(options: RenderOptions): WireOptions {
  const { decryption, ...rest } = options;
  if (decryption === undefined) return rest;
  return {
    ...rest,
    decryption: {
      age: decryption.age,
      pgp: decryption.pgp.map((k) => ({
        armored: k.key.armor(),
        fingerprint: k.fingerprint,
        source: k.source,
      })),
    },
  };
}

/** Parsed PGP keys by armored text, so a worker reads each key once, not once per render. */
const pgpCache = new Map<string, PgpIdentity['key']>();
const pgpCacheSize = 64;

export async function fromWireOptions(wire: WireOptions): Promise<RenderOptions> {
  const { decryption, ...rest } = wire;
  if (decryption === undefined) return rest;
  const pgp: PgpIdentity[] = [];
  for (const k of decryption.pgp) {
    let key = pgpCache.get(k.armored);
    if (key === undefined) {
      const { readPrivateKey } = await loadOpenPgp();
      key = await readPrivateKey({ armoredKey: k.armored });
      if (pgpCache.size >= pgpCacheSize) pgpCache.clear();
      pgpCache.set(k.armored, key);
    }
    pgp.push({ key, fingerprint: k.fingerprint, source: k.source });
  }
  return { ...rest, decryption: { age: decryption.age, pgp } };
}

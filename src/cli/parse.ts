import { allowedUrlPrefixProblem } from '../notify/allow.js';
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../api/schema-duration.js';

/**
 * The parsers of every flag value that is more than a string. Each is a commander argParser:
 * it throws InvalidArgumentError, which commander reports as `option '--x <v>' argument 'y'
 * is invalid. <why>` before any command runs, and main turns into exit code 2.
 */

/** A usage mistake found once the flags are parsed (two flags that disagree); exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A namespaced object named on the command line: a Secret, a ConfigMap, an Application. */
export interface ObjectRef {
  namespace: string;
  name: string;
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Whether `text` can name a namespace: a DNS label of at most 63 characters. */
export function isNamespaceName(text: string): boolean {
  return text.length <= 63 && dnsLabel.test(text);
}

/** Whether `text` can name a Secret, ConfigMap, Application or ServiceAccount. */
export function isObjectName(text: string): boolean {
  return text.length <= 253 && dnsSubdomain.test(text);
}

/** `-n NAMESPACE`. */
export function parseNamespace(text: string): string {
  if (!isNamespaceName(text))
    throw new InvalidArgumentError(`expected a namespace name (a DNS label), got "${text}"`);
  return text;
}

/** A Secret's, Application's or ServiceAccount's name. */
export function parseObjectName(text: string): string {
  if (!isObjectName(text))
    throw new InvalidArgumentError(
      `expected an object name (lower-case letters, digits, '-' and '.'), got "${text}"`,
    );
  return text;
}

/**
 * `NAMESPACE/NAME`, always both: a bare NAME would have to guess a namespace, and a Secret of
 * keys found in the wrong one is worse than an error.
 */
export function parseObjectRef(text: string): ObjectRef {
  const parts = text.split('/');
  const [namespace, name] = parts;
  if (
    parts.length !== 2 ||
    namespace === undefined ||
    name === undefined ||
    !isNamespaceName(namespace) ||
    !isObjectName(name)
  )
    throw new InvalidArgumentError(`expected NAMESPACE/NAME, e.g. ballast-system/sops-keys`);
  return { namespace, name };
}

/** A duration as kubectl takes it (`30s`, `5m`, `1h30m`), in milliseconds; zero is refused. */
/** `--vault-address`: http(s)://host[:port], without a path; the trailing / is dropped. */
export function parseVaultAddress(text: string): string {
  if (!/^https?:\/\/[^\s/]+\/?$/.test(text))
    throw new InvalidArgumentError('expected an address such as https://vault.example:8200');
  return text.replace(/\/$/, '');
}

/** A repeatable `--vault-allowed-address`: each one parsed as `--vault-address` is. */
export function collectVaultAddress(text: string, all: string[]): string[] {
  return [...all, parseVaultAddress(text)];
}

/**
 * A repeatable `--notification-allowed-url`: an http(s) URL prefix without credentials, query or
 * fragment, which a NotificationPolicy's URL must start with (at a path segment).
 */
export function collectNotificationUrl(text: string, all: string[]): string[] {
  const problem = allowedUrlPrefixProblem(text);
  if (problem !== undefined)
    throw new InvalidArgumentError(`${problem}, e.g. https://hooks.example/ballast/`);
  return [...all, text];
}

export function parseDurationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new InvalidArgumentError('expected a duration such as 90s, 5m or 1h30m');
  return ms;
}

/** A whole number from `min` to `max`, both included. */
export function parseInteger(range: { min: number; max: number }): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isInteger(n) || n < range.min || n > range.max)
      throw new InvalidArgumentError(
        `expected a whole number from ${range.min} to ${range.max}, got "${text}"`,
      );
    return n;
  };
}

/** An ISO 8601 time, kept as given. */
export function parseTime(text: string): string {
  if (Number.isNaN(Date.parse(text)))
    throw new InvalidArgumentError('expected an ISO 8601 time, e.g. 2026-03-01T10:00:00Z');
  return text;
}

/** Appends a repeated flag's values. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Appends the comma-separated values of one repeatable list flag (`--allowed-repos`). */
export function collectPrefixes(text: string, previous: string[] | undefined): string[] {
  const more = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (more.length === 0) throw new InvalidArgumentError('expected URL prefixes, comma-separated');
  return [...(previous ?? []), ...more];
}

/**
 * The flags of the HTTP server `ballast controller` and `ballast hub` both run (/healthz,
 * /readyz, /metrics, /hooks), read alike by both, here so neither command loads the other.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from './parse.js';

/**
 * Where the HTTP server listens: `fallback` (the library's loopback) unless told otherwise, so
 * a controller or hub run on a laptop does not serve /metrics and /hooks to the network.
 * `ballast install` passes 0.0.0.0, which a Pod needs for the kubelet's probes and the Service.
 */
export function bindAddressOf(
  f: { metricsBindAddress?: string; bindAddress?: string },
  fallback: string,
): string {
  const { metricsBindAddress: m, bindAddress: b } = f;
  if (m !== undefined && b !== undefined && m !== b)
    throw new UsageError(
      `--metrics-bind-address ${m} and --bind-address ${b} disagree; --bind-address is the older name, give only --metrics-bind-address`,
    );
  return m ?? b ?? fallback;
}

/** The webhook secret; an empty one would let GitLab requests with no token through. */
export async function webhookSecretOf(file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  const text = await readFile(file, 'utf8').catch((e: unknown) => {
    throw new UsageError(
      `--webhook-secret-file ${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
    );
  });
  const secret = text.trim();
  if (secret === '')
    throw new UsageError(
      `--webhook-secret-file ${file} is empty: an empty secret would accept unsigned hooks; write a random secret into it (openssl rand -hex 32) or drop the flag`,
    );
  return secret;
}

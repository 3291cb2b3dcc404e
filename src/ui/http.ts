import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiError } from './api.js';
import { KubeApiError } from '../cluster/errors.js';
import { AppNotFoundError } from '../reconcile/app-requests.js';

/**
 * What every answer of the UI server shares: its security headers, JSON out, JSON in. Values
 * from the cluster or Git leave only as JSON strings, never inside HTML built here.
 */

/** The CSP of UI-CONTRACT.md: the app's own files only, no inline script or style, no framing. */
export const contentSecurityPolicy =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export const securityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy': contentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** A JSON body is refused above this: every request the UI sends is a few hundred bytes. */
export const maxJsonBodyBytes = 64 * 1024;

/** An answer the server gives instead of the route's: a status and an ApiError. */
export class UiHttpError extends Error {
  override readonly name = 'UiHttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

/**
 * JSON with `<`, `>` and `&` escaped: the same value for a JSON parser, and no markup for
 * anything that would sniff the body as HTML despite its type.
 */
export function safeJson(body: unknown): string {
  return JSON.stringify(body)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  const text = safeJson(body);
  res
    .writeHead(status, {
      ...securityHeaders,
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...headers,
    })
    .end(text);
}

/**
 * What a thrown error becomes for the browser: the apiserver's own status and message when it
 * refused (so a 403 reads as RBAC wrote it), our status for our refusals, 500 otherwise.
 */
export function apiErrorOf(e: unknown): ApiError {
  if (e instanceof UiHttpError)
    return {
      status: e.status,
      message: e.message,
      ...(e.reason === undefined ? {} : { reason: e.reason }),
    };
  if (e instanceof KubeApiError)
    return { status: e.status, message: e.apiMessage, reason: e.reason };
  if (e instanceof AppNotFoundError) return { status: 404, message: e.message, reason: 'NotFound' };
  return { status: 500, message: e instanceof Error ? e.message : String(e) };
}

export function sendError(res: ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const err = apiErrorOf(e);
  sendJson(res, err.status, err);
}

/** The request's JSON body, refused unless it is `application/json` and at most maxJsonBodyBytes. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    throw new UiHttpError(415, 'the body must be JSON (content-type: application/json)');
  const announced = Number(req.headers['content-length'] ?? 0);
  if (announced > maxJsonBodyBytes) throw new UiHttpError(413, 'the body is too large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxJsonBodyBytes) throw new UiHttpError(413, 'the body is too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UiHttpError(400, 'the body is not valid JSON');
  }
}

/** The cookies of a request, by name; the first of a repeated name wins, as browsers send it. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (header === undefined) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2)
      value = value.slice(1, -1);
    if (name === '' || out.has(name)) continue;
    try {
      out.set(name, decodeURIComponent(value));
    } catch {
      // A value that is not valid percent-encoding is no cookie of ours.
    }
  }
  return out;
}

/** Whether the request reached us over TLS, directly or through a proxy that says so. */
export function cameOverTls(req: IncomingMessage): boolean {
  const socket = req.socket as { encrypted?: boolean };
  if (socket.encrypted === true) return true;
  const proto = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** What a receiver answered, as verdictOf reads it. */
export type Answer =
  | { kind: 'status'; status: number; retryAfter?: string | undefined }
  | { kind: 'network'; error: string };

export interface PostOptions {
  /** The whole request, connect to last byte. */
  timeoutMs: number;
}

export function defaultPostOptions(): PostOptions {
  return { timeoutMs: 10_000 };
}

/**
 * POSTs a JSON body and reports the answer; never throws. Redirects are not followed (a
 * receiver on an allowed host must not send the controller on to another), the answer's body
 * is read and dropped, and a network error is reported by its code alone, so no part of a URL
 * that came from a Secret reaches a log through an error message.
 */
export function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  opts: PostOptions,
): Promise<Answer> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: Answer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(a);
    };
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      resolve({ kind: 'network', error: 'invalid URL' });
      return;
    }
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(u, {
      method: 'POST',
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body).toString(),
        'user-agent': 'ballast-notifier',
      },
    });
    const timer = setTimeout(() => {
      req.destroy();
      done({ kind: 'network', error: `no answer within ${opts.timeoutMs} ms` });
    }, opts.timeoutMs);
    req.on('response', (res) => {
      const retryAfter = res.headers['retry-after'];
      res.resume();
      res.on('end', () => {
        done({ kind: 'status', status: res.statusCode ?? 0, retryAfter });
      });
      res.on('error', () => {
        done({ kind: 'status', status: res.statusCode ?? 0, retryAfter });
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      done({ kind: 'network', error: e.code ?? 'connection failed' });
    });
    req.end(body);
  });
}

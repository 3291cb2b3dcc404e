import { createHmac } from 'node:crypto';

/** The header a webhook receiver checks: `sha256=<hex>` of HMAC-SHA256 over the raw body. */
export const signatureHeader = 'x-ballast-signature';

/** The signature of `body` under `key`, as sent in X-Ballast-Signature. */
export function signatureOf(key: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

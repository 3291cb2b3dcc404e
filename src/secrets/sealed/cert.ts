import {
  createPublicKey,
  createSign,
  generateKeyPair,
  randomBytes,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';

/**
 * A sealing key pair with its self-signed certificate, made as upstream's controller makes one
 * (RSA 4096, CN=sealed-secret, ten years), so kubeseal and the upstream controller read it. Node
 * parses certificates but cannot write them, so the few DER structures needed are built here.
 */

function der(tag: number, body: Buffer): Buffer {
  const n = body.length;
  let head: Buffer;
  if (n < 0x80) head = Buffer.from([tag, n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    head = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([head, body]);
}

const seq = (...parts: Buffer[]): Buffer => der(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]): Buffer => der(0x31, Buffer.concat(parts));
const explicit = (n: number, inner: Buffer): Buffer => der(0xa0 + n, inner);
const nullValue = Buffer.from([0x05, 0x00]);

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [a * 40 + b];
  for (const v of rest) {
    const chunk = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128))
      chunk.unshift(0x80 | (x & 0x7f));
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

/** A non-negative INTEGER from big-endian bytes (a leading zero keeps the sign bit clear). */
function integer(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && (b[1] ?? 0) < 0x80) b = b.subarray(1);
  if ((b[0] ?? 0) >= 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return der(0x02, b);
}

/** UTCTime until 2049, GeneralizedTime after, as RFC 5280 requires. */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return d.getUTCFullYear() < 2050
    ? der(0x17, Buffer.from(iso.slice(2), 'ascii'))
    : der(0x18, Buffer.from(iso, 'ascii'));
}

function name(commonName: string): Buffer {
  const attr = (id: string, value: string): Buffer =>
    set(seq(oid(id), der(0x0c, Buffer.from(value, 'utf8'))));
  return seq(attr('2.5.4.10', commonName), attr('2.5.4.3', commonName));
}

const sha256WithRsa = seq(oid('1.2.840.113549.1.1.11'), nullValue);

function extensions(): Buffer {
  // keyUsage (critical): digitalSignature, keyEncipherment, as upstream's certificate has.
  const keyUsage = seq(
    oid('2.5.29.15'),
    der(0x01, Buffer.from([0xff])),
    der(0x04, der(0x03, Buffer.from([0x05, 0xa0]))),
  );
  const basic = seq(oid('2.5.29.19'), der(0x01, Buffer.from([0xff])), der(0x04, seq()));
  return explicit(3, seq(keyUsage, basic));
}

export interface CertOptions {
  /** Subject and issuer CN and O; upstream uses `sealed-secret`. */
  commonName: string;
  /** Valid from this instant. */
  notBefore: Date;
  /** For this many milliseconds; upstream uses ten years. */
  validForMs: number;
}

export function defaultCertOptions(): CertOptions {
  return {
    commonName: 'sealed-secret',
    notBefore: new Date(),
    validForMs: 10 * 365 * 24 * 3600 * 1000,
  };
}

/** A self-signed X.509 v3 certificate for `privateKey`'s public half, as PEM. */
export function selfSignedCert(privateKey: KeyObject, options: CertOptions): string {
  const publicDer = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const subject = name(options.commonName);
  // The second's fraction is dropped: certificates carry whole seconds.
  const from = new Date(Math.floor(options.notBefore.getTime() / 1000) * 1000);
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(randomBytes(16)),
    sha256WithRsa,
    subject,
    seq(time(from), time(new Date(from.getTime() + options.validForMs))),
    subject,
    publicDer,
    extensions(),
  );
  const signature = createSign('sha256').update(tbs).sign(privateKey);
  const certDer = seq(tbs, sha256WithRsa, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const b64 = certDer.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64.trimEnd()}\n-----END CERTIFICATE-----\n`;
}

/** A new RSA key pair and its certificate, both PEM. */
export async function generateSealingKey(
  options: CertOptions = defaultCertOptions(),
  modulusLength = 4096,
): Promise<{ keyPem: string; certPem: string }> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength });
  const certPem = selfSignedCert(privateKey, options);
  // PKCS#1, as Go's x509 writes an RSA key and upstream stores it under tls.key.
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  // Parsing back proves the DER is well formed before anything stores it.
  new X509Certificate(certPem);
  return { keyPem, certPem };
}

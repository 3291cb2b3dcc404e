import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import {
  bitString,
  children,
  DerError,
  expect,
  oid,
  readElement,
  readOid,
  sequence,
  set,
  smallInteger,
  tag,
  tlv,
  utf8,
} from './der.js';

const oids = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
} as const;

/** An agent's private key: EC P-256, made on the spoke, never sent anywhere. */
export function generateAgentKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * A PKCS#10 certification request (RFC 2986) for `commonName`, with no other subject field and
 * no attributes, signed with `key` (ECDSA with SHA-256), as PEM.
 */
export function buildCsr(key: KeyObject, commonName: string): string {
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const subject = sequence(set(sequence(oid(oids.commonName), utf8(commonName))));
  const info = sequence(smallInteger(0), subject, spki, tlv(tag.context0, Buffer.alloc(0)));
  const signature = sign('sha256', info, { key, dsaEncoding: 'der' });
  const der = sequence(info, sequence(oid(oids.ecdsaWithSha256)), bitString(signature));
  return pem('CERTIFICATE REQUEST', der);
}

/** What the registrar reads from a request before approving it. */
export interface ParsedCsr {
  /** Every subject attribute, in order: an approved Organization would become a group. */
  subject: { oid: string; value: string }[];
  /** The OIDs of the requested attributes (an extension request could ask for SANs). */
  attributes: string[];
  /** The public key's curve, when it is an EC key. */
  namedCurve: string | undefined;
  signatureAlgorithm: string;
  /** The request is signed by the key it carries (proof of possession). */
  signatureValid: boolean;
}

/** A request that is not a well-formed PKCS#10 request. */
export class CsrParseError extends Error {
  override readonly name = 'CsrParseError';
  constructor(problem: string, options?: ErrorOptions) {
    super(`the certificate request is not a valid PKCS#10 request: ${problem}`, options);
  }
}

function derOfPem(text: string): Buffer {
  const m =
    /-----BEGIN CERTIFICATE REQUEST-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE REQUEST-----/.exec(
      text,
    );
  if (m?.[1] === undefined) throw new CsrParseError('no CERTIFICATE REQUEST PEM block');
  return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
}

function readSubject(name: ReturnType<typeof expect>): ParsedCsr['subject'] {
  const out: ParsedCsr['subject'] = [];
  for (const rdn of children(name)) {
    for (const atv of children(expect(rdn, tag.set, 'a subject RDN'))) {
      const [type, value] = children(expect(atv, tag.sequence, 'a subject attribute'));
      out.push({
        oid: readOid(expect(type, tag.oid, 'an attribute type').content),
        value: value === undefined ? '' : value.content.toString('utf8'),
      });
    }
  }
  return out;
}

/** Reads a PEM request; throws CsrParseError when it is not one. */
export function parseCsr(text: string): ParsedCsr {
  try {
    const der = derOfPem(text);
    const { element: outer, end } = readElement(der, 0);
    if (end !== der.length) throw new DerError(end, 'trailing bytes after the request');
    const [info, algorithm, signature] = children(expect(outer, tag.sequence, 'the request'));
    const infoEl = expect(info, tag.sequence, 'certificationRequestInfo');
    const [version, name, spki, attrs] = children(infoEl);
    expect(version, tag.integer, 'the version');
    const attributes =
      attrs === undefined
        ? []
        : children(expect(attrs, tag.context0, 'the attributes')).map((a) => {
            const [type] = children(expect(a, tag.sequence, 'an attribute'));
            return readOid(expect(type, tag.oid, 'an attribute type').content);
          });
    const key = createPublicKey({
      key: expect(spki, tag.sequence, 'subjectPKInfo').raw,
      format: 'der',
      type: 'spki',
    });
    const [algOid] = children(expect(algorithm, tag.sequence, 'the signature algorithm'));
    const signatureAlgorithm = readOid(expect(algOid, tag.oid, 'the algorithm OID').content);
    const sig = expect(signature, tag.bitString, 'the signature').content.subarray(1);
    const signatureValid =
      signatureAlgorithm === oids.ecdsaWithSha256 &&
      key.asymmetricKeyType === 'ec' &&
      verify('sha256', infoEl.raw, { key, dsaEncoding: 'der' }, sig);
    return {
      subject: readSubject(expect(name, tag.sequence, 'the subject')),
      attributes,
      namedCurve: key.asymmetricKeyDetails?.namedCurve,
      signatureAlgorithm,
      signatureValid,
    };
  } catch (e) {
    if (e instanceof CsrParseError) throw e;
    throw new CsrParseError(e instanceof Error ? e.message : String(e), { cause: e });
  }
}

/** The subject's common name when it is the only subject field; undefined otherwise. */
export function soleCommonName(csr: ParsedCsr): string | undefined {
  const [only, ...rest] = csr.subject;
  return only?.oid === oids.commonName && rest.length === 0 ? only.value : undefined;
}

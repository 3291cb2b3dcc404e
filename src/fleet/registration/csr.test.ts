import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCsr, CsrParseError, generateAgentKey, parseCsr, soleCommonName } from './csr.js';
import { oid, readElement, readOid } from './der.js';

const cn = 'ballast:cluster:store-1:0123456789abcdef';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('the PKCS#10 request an agent sends', () => {
  it.runIf(hasOpenssl())('is accepted by openssl req -verify, with the subject asked for', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ballast-csr-'));
    try {
      const file = join(dir, 'req.pem');
      writeFileSync(file, buildCsr(generateAgentKey(), cn));
      const out = execFileSync(
        'openssl',
        ['req', '-in', file, '-verify', '-noout', '-subject', '-nameopt', 'RFC2253'],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      expect(out).toContain(`CN=${cn}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses back to its one common name, a valid signature, a P-256 key and no attributes', () => {
    const parsed = parseCsr(buildCsr(generateAgentKey(), cn));
    expect(soleCommonName(parsed)).toBe(cn);
    expect(parsed).toMatchObject({
      signatureValid: true,
      namedCurve: 'prime256v1',
      attributes: [],
    });
  });

  it('is read as not signed by its key when one byte of its content is changed', () => {
    const text = buildCsr(generateAgentKey(), cn);
    const der = Buffer.from(text.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    // The last byte of the common name: the signature no longer matches.
    const at = der.indexOf(Buffer.from('abcdef')) + 5;
    der[at] = 'e'.charCodeAt(0);
    const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    const parsed = parseCsr(pem);
    expect(soleCommonName(parsed)).toBe('ballast:cluster:store-1:0123456789abcdee');
    expect(parsed.signatureValid).toBe(false);
  });

  it.runIf(hasOpenssl())(
    "shows an Organization in another tool's request, which the registrar then refuses",
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'ballast-csr-'));
      try {
        const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
        writeFileSync(join(dir, 'k.pem'), key.export({ type: 'pkcs8', format: 'pem' }));
        const pem = execFileSync(
          'openssl',
          ['req', '-new', '-key', join(dir, 'k.pem'), '-subj', `/O=system:masters/CN=${cn}`],
          { encoding: 'utf8' },
        );
        const parsed = parseCsr(pem);
        expect(parsed.subject.map((s) => s.value)).toEqual(['system:masters', cn]);
        expect(soleCommonName(parsed)).toBeUndefined();
        expect(parsed.signatureValid).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('refuses text that is not a request, or DER cut short, with a message saying so', () => {
    expect(() => parseCsr('hello')).toThrow(CsrParseError);
    expect(() => parseCsr('hello')).toThrow('no CERTIFICATE REQUEST PEM block');
    const cut =
      '-----BEGIN CERTIFICATE REQUEST-----\nMIIBCjCBsAIBADA=\n-----END CERTIFICATE REQUEST-----';
    expect(() => parseCsr(cut)).toThrow(/not a valid PKCS#10 request: malformed DER/);
  });
});

describe('DER object identifiers', () => {
  it('round-trip, including arcs of several bytes', () => {
    for (const dotted of ['2.5.4.3', '1.2.840.10045.4.3.2', '1.2.840.113549.1.9.14']) {
      const { element } = readElement(oid(dotted), 0);
      expect(readOid(element.content)).toBe(dotted);
    }
  });
});

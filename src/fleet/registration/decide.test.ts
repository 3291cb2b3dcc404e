import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildCsr, generateAgentKey } from './csr.js';
import {
  judgeClaim,
  screenCsr,
  type Candidate,
  type CsrFacts,
  type ScreenOptions,
} from './decide.js';
import { registrarUser } from './names.js';

const registrar = registrarUser('ballast-fleet');
const opts: ScreenOptions = { registrarUser: registrar, maxExpirationSeconds: 7 * 86400 };
const me = 'ballast:cluster:store-1:0123456789abcdef';
const other = 'ballast:cluster:store-1:fedcba9876543210';

function facts(over: Partial<CsrFacts> = {}, cn = me): CsrFacts {
  return {
    name: 'x',
    uid: 'uid-1',
    signerName: 'kubernetes.io/kube-apiserver-client',
    requester: registrar,
    usages: ['client auth'],
    expirationSeconds: 86400,
    request: buildCsr(generateAgentKey(), cn),
    state: 'pending',
    ...over,
  };
}

const reasonOf = (f: CsrFacts): string => {
  const r = screenCsr(f, opts);
  return r.kind === 'deny' ? r.reason : r.kind;
};

describe('screening a CSR', () => {
  it('makes a registration candidate of a well-formed request from the registrar account', () => {
    expect(screenCsr(facts(), opts)).toEqual({
      kind: 'candidate',
      purpose: 'registration',
      cluster: 'store-1',
      identity: me,
      csrUid: 'uid-1',
    });
  });

  it('makes a renewal candidate of a request by the identity named in it', () => {
    expect(screenCsr(facts({ requester: me }), opts)).toMatchObject({ purpose: 'renewal' });
  });

  it("ignores other signers, decided requests and other people's requests for other names", () => {
    expect(reasonOf(facts({ signerName: 'kubernetes.io/kubelet-serving' }))).toBe('ignore');
    expect(reasonOf(facts({ state: 'approved' }))).toBe('ignore');
    expect(reasonOf(facts({ requester: 'alice' }, 'alice'))).toBe('ignore');
  });

  it('denies one cluster identity asking for a certificate of another', () => {
    expect(reasonOf(facts({ requester: other }))).toBe('RequesterNotAllowed');
  });

  it('denies anyone else asking for a cluster identity', () => {
    expect(reasonOf(facts({ requester: 'system:serviceaccount:default:default' }))).toBe(
      'RequesterNotAllowed',
    );
  });

  it('denies subjects other than exactly one well-formed cluster common name', () => {
    expect(reasonOf(facts({}, 'ballast:cluster:Store_1:0123456789abcdef'))).toBe(
      'SubjectNotAllowed',
    );
    expect(reasonOf(facts({}, 'ballast:cluster:store-1:short'))).toBe('SubjectNotAllowed');
    expect(reasonOf(facts({}, 'ballast:cluster:store-1:0123456789abcdef:x'))).toBe(
      'SubjectNotAllowed',
    );
    expect(reasonOf(facts({}, 'admin'))).toBe('SubjectNotAllowed');
  });

  it('denies a request that is not PKCS#10 when it comes from the registrar account', () => {
    expect(reasonOf(facts({ request: 'junk' }))).toBe('MalformedRequest');
  });

  it('denies server auth, a missing lifetime and one past the limit', () => {
    expect(reasonOf(facts({ usages: ['client auth', 'server auth'] }))).toBe('UsagesNotAllowed');
    expect(reasonOf(facts({ usages: ['digital signature'] }))).toBe('UsagesNotAllowed');
    expect(reasonOf(facts({ expirationSeconds: undefined }))).toBe('ExpirationNotAllowed');
    expect(reasonOf(facts({ expirationSeconds: 8 * 86400 }))).toBe('ExpirationNotAllowed');
  });

  it('denies a key other than P-256', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    // buildCsr signs with ECDSA OIDs; an RSA key cannot produce a valid request of ours.
    expect(() => buildCsr(rsa, me)).not.toThrow();
    expect(reasonOf(facts({ request: buildCsr(rsa, me) }))).toBe('KeyNotAllowed');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    expect(reasonOf(facts({ request: buildCsr(p384, me) }))).toBe('KeyNotAllowed');
  });
});

describe('judging a candidate against the name', () => {
  const registration: Candidate = {
    kind: 'candidate',
    purpose: 'registration',
    cluster: 'store-1',
    identity: me,
    csrUid: 'uid-1',
  };
  const renewal: Candidate = { ...registration, purpose: 'renewal' };

  it('lets a registration take a free name, or resume the claim its own CSR made', () => {
    expect(judgeClaim(registration, { kind: 'free' }).kind).toBe('approve');
    const claim = { kind: 'claimed', identity: me, csrUid: 'uid-1' } as const;
    expect(judgeClaim(registration, claim).kind).toBe('approve');
  });

  it("denies another CSR copying a registered cluster's common name (it is readable)", () => {
    const claim = { kind: 'claimed', identity: me, csrUid: 'uid-0' } as const;
    expect(judgeClaim(registration, claim)).toMatchObject({ kind: 'deny', reason: 'NameTaken' });
  });

  it('denies a second cluster the name of a registered one, saying what to do', () => {
    const v = judgeClaim(registration, { kind: 'claimed', identity: other, csrUid: 'uid-0' });
    expect(v).toMatchObject({ kind: 'deny', reason: 'NameTaken' });
    expect(v.kind === 'deny' && v.message).toContain('ballast fleet deregister store-1');
  });

  it('renews only the identity the name is registered to now', () => {
    expect(judgeClaim(renewal, { kind: 'claimed', identity: me, csrUid: 'u' }).kind).toBe(
      'approve',
    );
    expect(judgeClaim(renewal, { kind: 'claimed', identity: other, csrUid: 'u' })).toMatchObject({
      reason: 'NotRegistered',
    });
    expect(judgeClaim(renewal, { kind: 'free' })).toMatchObject({ reason: 'NotRegistered' });
  });
});

import { createHash, randomBytes, scrypt } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GitRemote } from './git.js';

/**
 * Names the mirror of one repository as fetched by one identity: the URL together with the
 * credentials (and CA bundle) used. Two Applications with different credentials, or one with
 * none, never share a mirror, so neither reads objects that only the other could fetch.
 *
 * The credential part of the name is scrypt of the material with a random salt kept in the
 * cache: a directory listing gives neither the material nor a fast hash to guess it from.
 */
export class MirrorNames {
  /** Derived identities by sha256 of the material, so scrypt runs once per credential. */
  private readonly derived = new Map<string, Promise<string>>();
  private salt: Promise<Buffer> | undefined;

  constructor(private readonly mirrorsDir: string) {}

  /** The mirror directory of `remote` as fetched with its credentials. */
  async dirFor(remote: GitRemote): Promise<string> {
    const id = await this.identity(remote);
    const h = createHash('sha256').update(`${remote.url}\0${id}`).digest('hex').slice(0, 32);
    return join(this.mirrorsDir, `${h}.git`);
  }

  private identity(remote: GitRemote): Promise<string> {
    if (remote.auth.kind === 'none' && remote.caBundle === undefined)
      return Promise.resolve('anonymous');
    const material = JSON.stringify({ auth: remote.auth, ca: remote.caBundle ?? null });
    const memo = createHash('sha256').update(material).digest('hex');
    const known = this.derived.get(memo);
    if (known !== undefined) return known;
    const next = this.loadSalt().then((salt) => derive(material, salt));
    this.derived.set(memo, next);
    next.catch(() => this.derived.delete(memo));
    return next;
  }

  private loadSalt(): Promise<Buffer> {
    this.salt ??= readOrCreateSalt(join(this.mirrorsDir, '.identity-salt'));
    this.salt.catch(() => {
      this.salt = undefined;
    });
    return this.salt;
  }
}

function derive(material: string, salt: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    scrypt(material, salt, 16, { N: 1 << 14, r: 8, p: 1 }, (e, key) => {
      if (e === null) resolve(key.toString('hex'));
      else reject(e);
    });
  });
}

/** The cache's salt; created once, atomically (link fails if another process won the race). */
async function readOrCreateSalt(path: string): Promise<Buffer> {
  const existing = await readFile(path).catch(() => undefined);
  if (existing !== undefined && existing.length === 32) return existing;
  await mkdir(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}-${randomBytes(6).toString('hex')}`;
  await writeFile(tmp, randomBytes(32), { mode: 0o600 });
  try {
    await link(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    await rm(tmp, { force: true });
  }
  const salt = await readFile(path);
  if (salt.length !== 32)
    throw new Error(`${path}: expected 32 bytes of salt; delete the file to make a new one`);
  return salt;
}

import semver from 'semver';

export interface RefEntry {
  /** Full ref name, e.g. `refs/heads/main`. */
  name: string;
  /** The commit it points at (tags peeled). */
  sha: string;
}

export type RefResolution =
  | { kind: 'sha' }
  | { kind: 'branch'; sha: string }
  | { kind: 'tag'; sha: string }
  | { kind: 'semver'; tag: string; sha: string }
  | { kind: 'none'; reason: string };

const fullSha = /^[0-9a-fA-F]{40}$/;

function isRangeSyntax(ref: string): boolean {
  return /[\^~<>=*x| ]/.test(ref) && semver.validRange(ref) !== null;
}

/**
 * Picks what a ref names, as git does for plain names (a tag wins over a branch of the same
 * name), plus semver ranges over tags (`^1.2`, `>=2.0.0 <3`), highest match first.
 */
export function pickRef(ref: string, refs: readonly RefEntry[]): RefResolution {
  if (fullSha.test(ref)) return { kind: 'sha' };
  const byName = new Map(refs.map((r) => [r.name, r.sha]));
  const exact = byName.get(ref);
  if (ref.startsWith('refs/') && exact !== undefined) {
    return ref.startsWith('refs/tags/')
      ? { kind: 'tag', sha: exact }
      : { kind: 'branch', sha: exact };
  }
  const tag = byName.get(`refs/tags/${ref}`);
  if (tag !== undefined) return { kind: 'tag', sha: tag };
  const branch = byName.get(`refs/heads/${ref}`);
  if (branch !== undefined) return { kind: 'branch', sha: branch };
  if (isRangeSyntax(ref)) {
    let best: { tag: string; version: string; sha: string } | undefined;
    for (const r of refs) {
      if (!r.name.startsWith('refs/tags/')) continue;
      const tagName = r.name.slice('refs/tags/'.length);
      const v = semver.valid(tagName.replace(/^v/, ''));
      if (v === null || !semver.satisfies(v, ref)) continue;
      if (best === undefined || semver.gt(v, best.version))
        best = { tag: tagName, version: v, sha: r.sha };
    }
    if (best !== undefined) return { kind: 'semver', tag: best.tag, sha: best.sha };
    return { kind: 'none', reason: `no tag matches the semver range "${ref}"` };
  }
  return { kind: 'none', reason: `no branch or tag named "${ref}"` };
}

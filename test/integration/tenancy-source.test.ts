import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Condition } from '../../src/api/application.js';
import { GitError, type GitRemote } from '../../src/source/git.js';
import { defaultSourceOptions, GitSource } from '../../src/source/source.js';
import { startControllerFixture, type ControllerFixture } from '../support/controller.js';
import { eventually } from '../support/kube.js';
import { tempDirs } from '../support/temp.js';

/**
 * Issue 15, finding 2: team-a's Application fetches a private repository with a token; team-b,
 * with no credentials, must not read it, neither through the controller's mirror cache on disk
 * (file://) nor by riding on team-a's fetch of the same URL.
 */
let fx: ControllerFixture;
const temp = tempDirs();
const secretConfig =
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: private-config\ndata:\n  dbPassword: team-a-only\n';

beforeAll(async () => {
  // The controller as `ballast install` runs it: no --allow-file-repos.
  fx = await startControllerFixture({ clusterIndex: 0 });
  await fx.repo.writeFile('private/cm.yaml', secretConfig);
  await fx.repo.commit("team-a's private config");
  await fx.repo.push();
  await fx.cluster.apply(fx.application('team-a', 'private'));
  await eventually("team-a's private config is synced", 60_000, async () => {
    return (await fx.condition('team-a', 'Ready'))?.status === 'True';
  });
});

afterAll(async () => {
  try {
    await fx.stop();
  } finally {
    await temp.removeAll();
  }
});

/** The Ready condition once the first reconcile decided it either way. */
async function settledReady(name: string): Promise<Condition | undefined> {
  await eventually(`${name} is reconciled`, 60_000, async () => {
    const status = (await fx.condition(name, 'Ready'))?.status;
    return status === 'True' || status === 'False';
  });
  return fx.condition(name, 'Ready');
}

/** team-b's Application: in its own destination namespace, with no secretRef. */
async function teamB(name: string, source: Record<string, unknown>): Promise<string> {
  const dest = `${fx.ns}-${name}`;
  await fx.cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: dest } });
  const app = fx.application(name, 'private');
  await fx.cluster.apply({
    ...app,
    spec: {
      ...(app.spec as object),
      source: { targetRevision: 'main', path: 'private', ...source },
      destination: { namespace: dest },
    },
  });
  return dest;
}

describe('one tenant reading another tenant’s private repository', () => {
  it("a tenant's file:// URL to another tenant's mirror is refused, naming the Application and the flag", async () => {
    const mirrors = (await readdir(join(fx.cacheDir, 'mirrors'))).filter((m) => m.endsWith('.git'));
    expect(mirrors).toHaveLength(1);
    const dest = await teamB('team-b', {
      repoURL: `file://${join(fx.cacheDir, 'mirrors', mirrors[0] ?? '')}`,
    });
    const ready = await settledReady('team-b');
    expect(ready?.status).toBe('False');
    expect(ready?.message).toContain(
      `Application ${fx.ns}/team-b: file:// repositories are refused`,
    );
    expect(ready?.message).toContain('--allow-file-repos');
    const stolen = await fx.cluster.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'private-config', namespace: dest },
    });
    expect(stolen).toBeUndefined();
  });

  it('an Application without credentials on the same http URL must authenticate itself, and the Git server refuses it', async () => {
    const dest = await teamB('team-b-http', { repoURL: fx.repoURL });
    await eventually("team-b-http's fetch fails", 60_000, async () => {
      return (await fx.condition('team-b-http', 'Ready'))?.reason === 'FetchFailed';
    });
    expect((await fx.condition('team-b-http', 'Ready'))?.message).toMatch(
      /Authentication failed|401|could not read Username/,
    );
    const stolen = await fx.cluster.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'private-config', namespace: dest },
    });
    expect(stolen).toBeUndefined();
  });

  it('credentials are not sent over plain http:// unless the Application opts in', async () => {
    const app = fx.application('team-a-plain', 'private');
    const spec = app.spec as { source: Record<string, unknown> };
    const source = { ...spec.source };
    delete source.insecureAllowHttpCredentials;
    const dest = `${fx.ns}-plain`;
    await fx.cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: dest } });
    await fx.cluster.apply({
      ...app,
      spec: { ...spec, source, destination: { namespace: dest } },
    });
    const ready = await settledReady('team-a-plain');
    expect(ready?.status).toBe('False');
    expect(ready?.message).toContain(
      `Application ${fx.ns}/team-a-plain: refusing to send credentials over plain http://`,
    );
    expect(ready?.message).toContain('spec.source.insecureAllowHttpCredentials: true');
  });
});

/** The token in team-a's Secret, as the controller reads it. */
async function teamAToken(): Promise<string> {
  const b64 = await fx.kubectl(
    'get',
    'secret',
    'repo-creds',
    '-n',
    fx.ns,
    '-o',
    'jsonpath={.data.token}',
  );
  return Buffer.from(b64, 'base64').toString('utf8');
}

describe('the mirror cache is keyed by URL and credentials', () => {
  const withToken = (token: string): GitRemote => ({
    url: fx.repoURL,
    auth: { kind: 'token', token },
    insecureAllowHttpCredentials: true,
  });

  it("a fetch with other or no credentials never reads another identity's mirror", async () => {
    const cache = await temp.make('ballast-tenancy-');
    const src = new GitSource(defaultSourceOptions(cache));
    const teamA = withToken(await teamAToken());
    const pinned = await src.checkout(teamA, 'main');

    const anonymous: GitRemote = { url: fx.repoURL, auth: { kind: 'none' } };
    const wrong = withToken(`tok_${randomBytes(12).toString('hex')}`);
    for (const other of [anonymous, wrong]) {
      // Without a fetch of its own, the identity has no mirror to resolve in.
      expect(await src.resolve(other, 'main').catch((e: unknown) => e)).toBeInstanceOf(GitError);
      // Its own fetch goes to the Git server, which refuses it.
      const err = await src.checkout(other, pinned.sha).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GitError);
      expect((err as Error).message).toMatch(/Authentication failed|401|could not read Username/);
    }
    const mirrors = (await readdir(join(cache, 'mirrors'))).filter((m) => m.endsWith('.git'));
    // One mirror per identity that fetched (the refused ones left empty mirrors of their own).
    expect(mirrors).toHaveLength(3);
    expect(mirrors.join(' ')).not.toContain(await teamAToken());
  });

  it('the CLI, and a controller started with --allow-file-repos, still fetch file:// repositories', async () => {
    const cache = await temp.make('ballast-file-');
    const src = new GitSource({ ...defaultSourceOptions(cache), allowFileRepos: true });
    const upstream = await src.fetch(withToken(await teamAToken()));
    const local: GitRemote = { url: `file://${upstream}`, auth: { kind: 'none' } };
    expect((await src.checkout(local, 'main')).sha).toMatch(/^[0-9a-f]{40}$/);
    const err = await new GitSource(defaultSourceOptions(cache))
      .checkout(local, 'main')
      .catch((e: unknown) => e);
    expect((err as Error).message).toContain('--repo: file:// repositories are refused');
  });
});

import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createBareRepo, startGitServer } from '../src/dev/git/index.js';

/**
 * The bench's Git server in a process of its own (`node dist/bench/fleet-git.js`), so its CPU
 * (node's HTTP bridge, and every git http-backend, upload-pack and pack-objects it reaps) is
 * read from /proc apart from the driver's and the agents'. It counts the requests it passes
 * to http-backend and answers a `count` message with them.
 */

/** Requests by kind: `GET info/refs`, `POST git-upload-pack`, `POST git-receive-pack`. */
export type GitCounts = Record<string, number>;

type FromGit = { kind: 'ready'; url: string } | { kind: 'counts'; counts: GitCounts };

/** The running Git server process, with one anonymous repository `apps` that takes pushes. */
export interface GitHost {
  pid: number;
  url: string;
  counts(): Promise<GitCounts>;
  stop(): Promise<void>;
}

export async function startGitHost(): Promise<GitHost> {
  const child: ChildProcess = fork(join(import.meta.dirname, 'fleet-git.js'), ['serve'], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const next = async (): Promise<FromGit> => (await once(child, 'message'))[0] as FromGit;
  const ready = await next();
  if (ready.kind !== 'ready') throw new Error('the Git server process did not start');
  let queue = Promise.resolve<GitCounts>({});
  return {
    pid: child.pid ?? 0,
    url: ready.url,
    // One question at a time: answers come back in order on the one channel.
    counts: () =>
      (queue = queue.then(async () => {
        child.send({ kind: 'count' });
        const m = await next();
        return m.kind === 'counts' ? m.counts : {};
      })),
    stop: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

/** The difference of two counts: requests in a window, by kind. */
export function countsBetween(before: GitCounts, after: GitCounts): GitCounts {
  const out: GitCounts = {};
  for (const [k, n] of Object.entries(after)) {
    const d = n - (before[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

async function serve(): Promise<void> {
  const counts: GitCounts = {};
  const server = await startGitServer({
    auth: { users: [], tokens: [] },
    allowPush: true,
    ssh: false,
    onRequest: (method, path) => {
      const key = `${method} ${path.replace(/^.*\.git\//, '')}`;
      counts[key] = (counts[key] ?? 0) + 1;
    },
  });
  await createBareRepo(server, 'apps');
  process.on('message', (m: { kind: string }) => {
    if (m.kind === 'count') process.send?.({ kind: 'counts', counts } satisfies FromGit);
  });
  process.on('SIGTERM', () => {
    void server.stop().finally(() => process.exit(0));
  });
  process.on('disconnect', () => {
    void server.stop().finally(() => process.exit(1));
  });
  process.send?.({ kind: 'ready', url: server.httpUrl('apps') } satisfies FromGit);
}

if (process.argv[2] === 'serve') await serve();

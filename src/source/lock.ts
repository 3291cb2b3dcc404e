import { open, readFile, rm } from 'node:fs/promises';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const inProcess = new Map<string, Promise<void>>();

/**
 * Runs `fn` holding an exclusive lock on `path`, across processes (an O_EXCL lock file holding
 * our pid; a lock left by a dead process is taken over) and within this one (a promise chain).
 */
export async function withLock<T>(
  path: string,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const prev = inProcess.get(path) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const chained = prev.then(() => mine);
  inProcess.set(path, chained);
  await prev;
  try {
    await acquireFile(path, timeoutMs);
    try {
      return await fn();
    } finally {
      await rm(path, { force: true });
    }
  } finally {
    release();
    if (inProcess.get(path) === chained) inProcess.delete(path);
  }
}

async function acquireFile(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${path}: still locked by pid ${holder} after ${timeoutMs} ms; if no Ballast process uses this cache, delete the lock file`,
      );
    }
    await sleep(50);
  }
}

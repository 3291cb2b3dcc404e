import { createServer } from 'node:net';

/** A port on 127.0.0.1 that something else already listens on. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly port: number,
    readonly purpose: string,
  ) {
    super(
      `127.0.0.1:${port} (${purpose}) is already in use by another process: stop that process or pick other ports with --port-base`,
    );
  }
}

function listenOnce(port: number): Promise<number | 'in-use'> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') resolve('in-use');
      else reject(e);
    });
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr !== null ? addr.port : port;
      srv.close(() => {
        resolve(got);
      });
    });
  });
}

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const p = await listenOnce(0);
  if (p === 'in-use') throw new Error('no free loopback port');
  return p;
}

/** Fails with PortInUseError unless `port` on 127.0.0.1 is free. */
export async function ensurePortFree(port: number, purpose: string): Promise<void> {
  if ((await listenOnce(port)) === 'in-use') throw new PortInUseError(port, purpose);
}

/**
 * Allocates `count` ports. With a base, they are base, base+1, … and each must be free;
 * without one, the kernel picks free ones.
 */
export async function allocatePorts(
  purposes: readonly string[],
  base: number | undefined,
): Promise<number[]> {
  const ports: number[] = [];
  for (const [i, purpose] of purposes.entries()) {
    if (base === undefined) {
      let p = await freePort();
      while (ports.includes(p)) p = await freePort();
      ports.push(p);
    } else {
      await ensurePortFree(base + i, purpose);
      ports.push(base + i);
    }
  }
  return ports;
}

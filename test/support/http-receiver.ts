import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got, and what it answered. */
export interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  at: number;
  answered: number;
}

/**
 * A real HTTP receiver on loopback: records every request and answers 200, except that a path
 * in `failOnce` answers 503 with Retry-After: 1 the first time.
 */
export class Receiver {
  readonly got: Received[] = [];
  private readonly failed = new Set<string>();
  private constructor(
    private readonly server: Server,
    private readonly failOnce: readonly string[],
  ) {}

  static async start(failOnce: readonly string[] = []): Promise<Receiver> {
    const server = createServer();
    const r = new Receiver(server, failOnce);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '';
        const fail = r.failOnce.includes(path) && !r.failed.has(path);
        if (fail) r.failed.add(path);
        const answered = fail ? 503 : 200;
        r.got.push({
          path,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
          answered,
        });
        if (fail) res.writeHead(503, { 'retry-after': '1' }).end('down');
        else res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return r;
  }

  get base(): string {
    return `http://127.0.0.1:${String((this.server.address() as AddressInfo).port)}`;
  }

  at(path: string): Received[] {
    return this.got.filter((g) => g.path === path);
  }

  /** JSON bodies received at `path`. */
  bodies(path: string): Record<string, unknown>[] {
    return this.at(path).map((g) => JSON.parse(g.body) as Record<string, unknown>);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}

import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionsError } from './errors.js';
import { ControllerHttp, type ControllerHttpOptions } from './http-server.js';
import { createLogger } from './log.js';

const secret = 'a-long-random-secret';
let running: ControllerHttp | undefined;

afterEach(async () => {
  await running?.close();
  running = undefined;
});

function options(pushes: string[][], webhookSecret: string | undefined): ControllerHttpOptions {
  return {
    port: 0,
    host: '127.0.0.1',
    webhookSecret,
    logger: createLogger({ level: 'silent' }),
    ready: () => true,
    scrape: () => Promise.resolve({ contentType: 'text/plain', body: '' }),
    onPush: (urls) => {
      pushes.push([...urls]);
      return ['ns/app'];
    },
  };
}

describe('the webhook receiver', () => {
  it('refuses to start with an empty secret, which would accept unsigned GitLab hooks', async () => {
    const err = await ControllerHttp.start(options([], '  ')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidOptionsError);
    expect((err as Error).message).toMatch(/webhookSecret: is empty/);
  });

  it('drops a replayed GitHub delivery with 200 "duplicate delivery" and queues nothing for it', async () => {
    const pushes: string[][] = [];
    const { http, port } = await ControllerHttp.start(options(pushes, secret));
    running = http;
    const body = JSON.stringify({
      after: 'a'.repeat(40),
      repository: { clone_url: 'https://github.com/acme/fleet.git' },
    });
    const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const deliver = (id: string): Promise<Response> =>
      fetch(`http://127.0.0.1:${String(port)}/hooks/github`, {
        method: 'POST',
        headers: {
          'x-github-event': 'push',
          'x-github-delivery': id,
          'x-hub-signature-256': signature,
        },
        body,
      });
    const first = await deliver('72d3162e-cc78-11e3-81ab-4c9367dc0958');
    expect(first.status).toBe(202);
    const again = await deliver('72d3162e-cc78-11e3-81ab-4c9367dc0958');
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ result: 'duplicate', reason: 'duplicate delivery' });
    // A replay under a made-up delivery ID carries the same signed body.
    expect((await deliver('00000000-0000-0000-0000-000000000000')).status).toBe(200);
    expect(pushes).toEqual([['https://github.com/acme/fleet.git']]);
  });

  it('answers 413 to a body announced over 1 MiB, from its Content-Length, and closes the connection', async () => {
    const pushes: string[][] = [];
    const { http, port } = await ControllerHttp.start(options(pushes, secret));
    running = http;
    const answer = await new Promise<{ status: number; connection: string | undefined }>(
      (resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/hooks/github',
            headers: { 'content-length': String(64 * 1024 * 1024) },
          },
          (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, connection: res.headers.connection });
            req.destroy();
          },
        );
        req.on('error', reject);
        // Not a byte of the body is sent: the answer cannot wait for it.
        req.flushHeaders();
      },
    );
    expect(answer).toEqual({ status: 413, connection: 'close' });
    expect(pushes).toEqual([]);
  });
});

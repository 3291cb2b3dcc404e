import { request } from 'node:https';
import { readFile } from 'node:fs/promises';
import type { ClusterPki } from './certs.js';

/** How `ballast dev` talks to one of its apiservers: loopback HTTPS with the admin client cert. */
export interface KubeEndpoint {
  server: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export async function endpointFor(port: number, pki: ClusterPki): Promise<KubeEndpoint> {
  const [ca, cert, key] = await Promise.all([
    readFile(pki.caCert),
    readFile(pki.adminCert),
    readFile(pki.adminKey),
  ]);
  return { server: `https://127.0.0.1:${port}`, ca, cert, key };
}

export interface KubeResponse {
  status: number;
  body: string;
}

/** One HTTP call; a refused connection resolves to status 0 so callers can poll. */
export function kubeRequest(
  ep: KubeEndpoint,
  method: string,
  path: string,
  body?: unknown,
  options: { timeoutMs?: number; contentType?: string } = {},
): Promise<KubeResponse> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const contentType = options.contentType ?? 'application/json';
  return new Promise((resolve) => {
    const payload =
      body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request(
      new URL(path, ep.server),
      {
        method,
        ca: ep.ca,
        cert: ep.cert,
        key: ep.key,
        timeout: timeoutMs,
        headers: payload === undefined ? {} : { 'content-type': contentType },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => {
      resolve({ status: 0, body: e.message });
    });
    req.end(payload);
  });
}

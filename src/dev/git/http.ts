import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { authorize, basicChallenge, parseAuthorization, type HttpAuthOptions } from './auth.js';
import { cgiEnvironment, findHeadEnd, parseCgiHead, requestTarget } from './cgi.js';
import { GitServerError } from './errors.js';
import { exitOf } from './proc.js';

/** How the HTTP side of the git server behaves. */
export interface HttpBridgeOptions {
  /** Directory holding the bare repositories (GIT_PROJECT_ROOT). */
  projectRoot: string;
  /** Accepted users and tokens; both empty means anonymous access. */
  auth: HttpAuthOptions;
  /** Whether `git push` over HTTP is accepted. */
  allowPush: boolean;
  /** Kill one request's http-backend after this many milliseconds. */
  requestTimeoutMs: number;
  /** The whole environment http-backend gets (PATH, isolated HOME and git config); CGI vars are added. */
  baseEnv: Record<string, string>;
  /** Diagnostics for a person (failed backends and their stderr). */
  log: (line: string) => void;
  /** Called for each request let through to http-backend: how a benchmark counts fetches. */
  onRequest: (method: string, pathInfo: string) => void;
}

export interface HttpBridge {
  port: number;
  /** Pids of http-backend processes still running (each leads its own process group). */
  activePids: () => number[];
  stop: () => Promise<void>;
}

const maxHeadBytes = 64 * 1024;
const maxStderrChars = 8 * 1024;

function plain(res: ServerResponse, status: number, text: string, extra = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...extra });
  res.end(`${text}\n`);
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * Copies the CGI response to the HTTP response: buffers stdout until the blank line that ends the
 * head, writes status and headers, then pipes the rest so packfiles stream with backpressure.
 */
function relay(child: ChildProcess, res: ServerResponse, fail: (why: string) => void): void {
  const stdout = child.stdout;
  if (stdout === null) return;
  let pending = Buffer.alloc(0);
  let headDone = false;
  const onData = (chunk: Buffer): void => {
    pending = Buffer.concat([pending, chunk]);
    const end = findHeadEnd(pending);
    if (end === undefined) {
      if (pending.length > maxHeadBytes) fail(`response head larger than ${maxHeadBytes} bytes`);
      return;
    }
    headDone = true;
    stdout.off('data', onData);
    stdout.pause();
    const head = parseCgiHead(pending.subarray(0, end.headEnd).toString('latin1'));
    if (head.kind === 'malformed') {
      fail(`malformed response head: ${head.reason}`);
      return;
    }
    res.writeHead(head.status, head.headers);
    const rest = pending.subarray(end.bodyStart);
    if (rest.length > 0) res.write(rest);
    stdout.pipe(res);
  };
  stdout.on('data', onData);
  stdout.on('end', () => {
    if (!headDone) fail('exited without a response head');
  });
}

/** Handles one request: authenticate, map the URL, run http-backend as CGI and relay its answer. */
function handle(
  opts: HttpBridgeOptions,
  port: () => number,
  children: Set<ChildProcess>,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const decision = authorize(opts.auth, parseAuthorization(req.headers.authorization));
  if (decision.kind === 'denied') {
    req.resume();
    plain(res, 401, 'authentication required', { 'WWW-Authenticate': basicChallenge });
    return;
  }
  const target = requestTarget(req.url ?? '/');
  if (target.kind === 'bad') {
    req.resume();
    plain(res, 400, `bad request: ${target.reason}`);
    return;
  }
  opts.onRequest(req.method ?? 'GET', target.pathInfo);
  const env = {
    ...opts.baseEnv,
    ...cgiEnvironment({
      method: req.method ?? 'GET',
      target,
      headers: req.headers,
      remoteUser: decision.remoteUser,
      remoteAddr: req.socket.remoteAddress ?? '127.0.0.1',
      serverPort: port(),
      projectRoot: opts.projectRoot,
      allowPush: opts.allowPush,
    }),
  };
  // http-backend streams in both directions for as long as the client talks, which the
  // run-to-completion runner (src/exec/run.ts) can't express: it buffers stdout and owns stdin.
  // So it is spawned here, with the same discipline: an explicit environment, its own process
  // group (it starts upload-pack and pack-objects), a deadline, and a kill when the client leaves.
  const child = spawn('git', ['http-backend'], { env, detached: true, stdio: 'pipe' });
  children.add(child);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => {
    stderr = (stderr + c).slice(-maxStderrChars);
  });
  let failed = false;
  const fail = (why: string): void => {
    if (failed) return;
    failed = true;
    opts.log(`git http-backend ${req.method ?? ''} ${target.pathInfo}: ${why}; stderr: ${stderr}`);
    killGroup(child);
    plain(res, 502, `git http-backend: ${why}`);
  };
  const timer = setTimeout(() => {
    fail(`killed after ${opts.requestTimeoutMs} ms`);
  }, opts.requestTimeoutMs);
  child.on('error', (e) => {
    fail(`could not be started: ${e.message}`);
  });
  child.on('close', () => {
    clearTimeout(timer);
    children.delete(child);
  });
  res.on('close', () => {
    if (!res.writableFinished) killGroup(child);
  });
  child.stdin.on('error', () => {
    // The backend may answer (e.g. 403 for a refused push) without reading the whole body.
  });
  req.pipe(child.stdin);
  relay(child, res, fail);
}

/** Starts the HTTP server on a free loopback port. */
export async function startHttpBridge(opts: HttpBridgeOptions): Promise<HttpBridge> {
  const children = new Set<ChildProcess>();
  let port = 0;
  const server: Server = createServer((req, res) => {
    handle(opts, () => port, children, req, res);
  });
  server.listen({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const addr = server.address();
  if (addr === null || typeof addr === 'string') {
    server.close();
    throw new GitServerError('git http server', `unexpected listen address ${String(addr)}`);
  }
  port = addr.port;
  return {
    port,
    activePids: () => [...children].flatMap((c) => (c.pid === undefined ? [] : [c.pid])),
    stop: async () => {
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      server.closeAllConnections();
      const exits = [...children].map((c) => exitOf(c));
      for (const c of children) killGroup(c);
      await Promise.all([closed, ...exits]);
    },
  };
}

/**
 * The pure half of the CGI bridge to `git http-backend`: turning an HTTP request into a CGI
 * environment, and the CGI response head back into an HTTP status and headers.
 */

/** Where a request points inside the project root, or why it can't be served. */
export type RequestTarget =
  { kind: 'ok'; pathInfo: string; query: string } | { kind: 'bad'; reason: string };

/**
 * Splits a request URL into PATH_INFO and QUERY_STRING. http-backend checks paths too, but this
 * server refuses `..`, NUL and backslashes before any process is started.
 */
export function requestTarget(rawUrl: string): RequestTarget {
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = q < 0 ? '' : rawUrl.slice(q + 1);
  let pathInfo: string;
  try {
    pathInfo = decodeURIComponent(rawPath);
  } catch {
    return { kind: 'bad', reason: 'path is not valid percent-encoding' };
  }
  if (!pathInfo.startsWith('/')) return { kind: 'bad', reason: 'path must be absolute' };
  if (/[\0\\]/.test(pathInfo)) return { kind: 'bad', reason: 'path holds NUL or a backslash' };
  if (pathInfo.split('/').some((s) => s === '..' || s === '.')) {
    return { kind: 'bad', reason: 'path holds "." or ".." segments' };
  }
  return { kind: 'ok', pathInfo, query };
}

/** What the CGI environment is built from. */
export interface CgiRequest {
  method: string;
  target: { pathInfo: string; query: string };
  /** Request headers as Node gives them (lower-case names). */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Set when the request was authenticated; http-backend only allows pushes with one. */
  remoteUser: string | undefined;
  remoteAddr: string;
  serverPort: number;
  /** The directory that holds the bare repositories. */
  projectRoot: string;
  /** Whether `git push` over HTTP is allowed (http.receivepack). */
  allowPush: boolean;
}

function header(h: CgiRequest['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * The CGI variables for one request (RFC 3875 plus git's own). Only these reach http-backend,
 * together with the isolated base environment the caller adds.
 */
export function cgiEnvironment(r: CgiRequest): Record<string, string> {
  const env: Record<string, string> = {
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    SERVER_SOFTWARE: 'ballast-git',
    SERVER_NAME: '127.0.0.1',
    SERVER_PORT: String(r.serverPort),
    REMOTE_ADDR: r.remoteAddr,
    REQUEST_METHOD: r.method,
    PATH_INFO: r.target.pathInfo,
    QUERY_STRING: r.target.query,
    GIT_PROJECT_ROOT: r.projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    // Explicit either way: with REMOTE_USER set, http-backend would otherwise allow pushes.
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.receivepack',
    GIT_CONFIG_VALUE_0: r.allowPush ? 'true' : 'false',
  };
  const optional: [string, string | undefined][] = [
    ['CONTENT_TYPE', header(r.headers, 'content-type')],
    // Absent for chunked uploads; http-backend then reads the body to EOF.
    ['CONTENT_LENGTH', header(r.headers, 'content-length')],
    // git gzips large upload-pack requests; http-backend inflates them itself.
    ['HTTP_CONTENT_ENCODING', header(r.headers, 'content-encoding')],
    // Carries `version=2`; without it clients silently fall back to protocol v0.
    ['HTTP_GIT_PROTOCOL', header(r.headers, 'git-protocol')],
    ['HTTP_USER_AGENT', header(r.headers, 'user-agent')],
    ['REMOTE_USER', r.remoteUser],
    ['AUTH_TYPE', r.remoteUser === undefined ? undefined : 'Basic'],
  ];
  for (const [k, v] of optional) if (v !== undefined && v !== '') env[k] = v;
  return env;
}

/** Where the CGI head ends and the body starts, once the blank line has arrived. */
export function findHeadEnd(buf: Buffer): { headEnd: number; bodyStart: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return undefined;
  if (lf < 0 || (crlf >= 0 && crlf < lf)) return { headEnd: crlf, bodyStart: crlf + 4 };
  return { headEnd: lf, bodyStart: lf + 2 };
}

/** A parsed CGI response head. Header names keep the script's spelling. */
export type CgiHead =
  | { kind: 'ok'; status: number; headers: Record<string, string | string[]> }
  | { kind: 'malformed'; reason: string };

/**
 * Parses the header block a CGI script prints before its body. `Status:` becomes the HTTP status
 * (RFC 3875 §6.3.3); without it a `Location:` means 302 and anything else 200.
 */
export function parseCgiHead(text: string): CgiHead {
  const headers: Record<string, string | string[]> = {};
  let status: number | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return { kind: 'malformed', reason: `header line without a name: ${line}` };
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      return { kind: 'malformed', reason: `invalid header name ${JSON.stringify(name)}` };
    }
    if (name.toLowerCase() === 'status') {
      const m = /^(\d{3})(?:\s.*)?$/.exec(value);
      if (m === null) return { kind: 'malformed', reason: `invalid Status ${value}` };
      status = Number(m[1]);
      continue;
    }
    const prev = headers[name];
    headers[name] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
  }
  const hasLocation = Object.keys(headers).some((k) => k.toLowerCase() === 'location');
  return { kind: 'ok', status: status ?? (hasLocation ? 302 : 200), headers };
}

import { describe, expect, it } from 'vitest';
import {
  cgiEnvironment,
  findHeadEnd,
  parseCgiHead,
  requestTarget,
  type CgiRequest,
} from './cgi.js';

describe('requestTarget', () => {
  it('splits path and query, decoding the path', () => {
    expect(requestTarget('/team%2Fapp.git/info/refs?service=git-upload-pack')).toEqual({
      kind: 'ok',
      pathInfo: '/team/app.git/info/refs',
      query: 'service=git-upload-pack',
    });
    expect(requestTarget('/app.git/git-upload-pack')).toEqual({
      kind: 'ok',
      pathInfo: '/app.git/git-upload-pack',
      query: '',
    });
  });

  it('refuses paths that could leave the project root', () => {
    expect(requestTarget('/../etc/passwd').kind).toBe('bad');
    expect(requestTarget('/app.git/%2e%2e/x').kind).toBe('bad');
    expect(requestTarget('/a%00b').kind).toBe('bad');
    expect(requestTarget('/a%5Cb').kind).toBe('bad');
    expect(requestTarget('/%E0%A4%A').kind).toBe('bad');
    expect(requestTarget('app.git').kind).toBe('bad');
  });
});

describe('cgiEnvironment', () => {
  const base: CgiRequest = {
    method: 'POST',
    target: { pathInfo: '/app.git/git-upload-pack', query: '' },
    headers: {
      'content-type': 'application/x-git-upload-pack-request',
      'content-encoding': 'gzip',
      'git-protocol': 'version=2',
    },
    remoteUser: 'alice',
    remoteAddr: '127.0.0.1',
    serverPort: 8080,
    projectRoot: '/srv/git',
    allowPush: false,
  };

  it('passes the request through as CGI and git variables', () => {
    const env = cgiEnvironment(base);
    expect(env).toMatchObject({
      REQUEST_METHOD: 'POST',
      PATH_INFO: '/app.git/git-upload-pack',
      QUERY_STRING: '',
      CONTENT_TYPE: 'application/x-git-upload-pack-request',
      HTTP_CONTENT_ENCODING: 'gzip',
      HTTP_GIT_PROTOCOL: 'version=2',
      REMOTE_USER: 'alice',
      GIT_PROJECT_ROOT: '/srv/git',
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_CONFIG_KEY_0: 'http.receivepack',
      GIT_CONFIG_VALUE_0: 'false',
    });
  });

  it('leaves out CONTENT_LENGTH for chunked bodies and REMOTE_USER for anonymous requests', () => {
    const env = cgiEnvironment({ ...base, remoteUser: undefined, allowPush: true });
    expect(env).not.toHaveProperty('CONTENT_LENGTH');
    expect(env).not.toHaveProperty('REMOTE_USER');
    expect(env).not.toHaveProperty('AUTH_TYPE');
    expect(env.GIT_CONFIG_VALUE_0).toBe('true');
    const sized = cgiEnvironment({ ...base, headers: { 'content-length': '42' } });
    expect(sized.CONTENT_LENGTH).toBe('42');
  });
});

describe('findHeadEnd', () => {
  it('finds the blank line with CRLF or LF endings', () => {
    expect(findHeadEnd(Buffer.from('A: b\r\n\r\nbody'))).toEqual({ headEnd: 4, bodyStart: 8 });
    expect(findHeadEnd(Buffer.from('A: b\n\nbody'))).toEqual({ headEnd: 4, bodyStart: 6 });
    expect(findHeadEnd(Buffer.from('A: b\r\nC: d\r\n'))).toBeUndefined();
  });

  it('takes whichever blank line comes first', () => {
    expect(findHeadEnd(Buffer.from('A: b\n\nx\r\n\r\n'))).toEqual({ headEnd: 4, bodyStart: 6 });
  });
});

describe('parseCgiHead', () => {
  it('turns Status into the HTTP status and keeps other headers', () => {
    const head = parseCgiHead(
      'Status: 404 Not Found\r\nContent-Type: text/plain\r\nSet-Cookie: a\r\nSet-Cookie: b',
    );
    expect(head).toEqual({
      kind: 'ok',
      status: 404,
      headers: { 'Content-Type': 'text/plain', 'Set-Cookie': ['a', 'b'] },
    });
  });

  it('defaults to 200, or 302 when there is a Location', () => {
    expect(parseCgiHead('Content-Type: x')).toMatchObject({ kind: 'ok', status: 200 });
    expect(parseCgiHead('Location: /x')).toMatchObject({ kind: 'ok', status: 302 });
  });

  it('reports lines it cannot read', () => {
    expect(parseCgiHead('no colon here').kind).toBe('malformed');
    expect(parseCgiHead('Status: abc').kind).toBe('malformed');
    expect(parseCgiHead('Bad Name: x').kind).toBe('malformed');
  });
});

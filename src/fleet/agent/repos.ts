/**
 * Which repositories a spoke fetches from, and sends its Git credentials to. The hub chooses an
 * Assignment's repoURL and secretRef; a compromised hub could point repoURL at its own server
 * while secretRef still names the spoke's credential Secret, and git would hand that server the
 * token or key before any commit is verified. So the spoke decides, by URL prefix, as Argo CD
 * binds repository credentials to a URL prefix.
 */

/** A Git URL reduced to what decides where a fetch, and its credentials, go. */
export interface RepoLocation {
  /** `https`, `http`, `ssh` or `file`; `user@host:path` is ssh. */
  scheme: string;
  /** The login of an ssh URL; empty when none is given. */
  user: string;
  /** Lower-case, without a trailing dot; empty for file URLs. */
  host: string;
  /** Empty when it is the scheme's default. */
  port: string;
  /** Decoded path segments, without empty ones and without a final `.git`. */
  segments: readonly string[];
}

export type RepoLocationResult =
  { kind: 'ok'; location: RepoLocation } | { kind: 'invalid'; problem: string };

const scpLike = /^([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+):(.*)$/;
const defaultPorts: Record<string, string> = { https: '443', http: '80', ssh: '22' };

function segmentsOf(path: string): string[] | string {
  const out: string[] = [];
  for (const raw of path.split('/')) {
    if (raw === '') continue;
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return `the path segment ${raw} is not valid percent-encoding`;
    }
    // A dot segment or an encoded slash would let the text say one path and git fetch another.
    if (s === '.' || s === '..' || s.includes('/') || s.includes('\\'))
      return `the path segment ${raw} is not a plain name`;
    out.push(s);
  }
  const last = out.at(-1);
  if (last?.endsWith('.git') === true) out[out.length - 1] = last.slice(0, -'.git'.length);
  return out;
}

function located(
  scheme: string,
  user: string,
  host: string,
  port: string,
  path: string,
): RepoLocationResult {
  const segments = segmentsOf(path);
  if (typeof segments === 'string') return { kind: 'invalid', problem: segments };
  return {
    kind: 'ok',
    location: {
      scheme,
      user,
      host: host.toLowerCase().replace(/\.$/, ''),
      port: port === defaultPorts[scheme] ? '' : port,
      segments,
    },
  };
}

/** The location of a Git URL as git would reach it, or why it cannot be matched safely. */
export function repoLocation(url: string): RepoLocationResult {
  const scp = scpLike.exec(url);
  if (scp !== null && !url.includes('://'))
    return located('ssh', scp[1] ?? '', scp[2] ?? '', '', scp[3] ?? '');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { kind: 'invalid', problem: 'not a valid URL' };
  }
  const scheme = u.protocol.replace(/:$/, '');
  if (!['https', 'http', 'ssh', 'file'].includes(scheme))
    return { kind: 'invalid', problem: `unsupported scheme ${scheme}` };
  if (u.password !== '') return { kind: 'invalid', problem: 'the URL embeds a password' };
  if (u.search !== '' || u.hash !== '')
    return { kind: 'invalid', problem: 'a repository URL has no query or fragment' };
  let user: string;
  try {
    user = decodeURIComponent(u.username);
  } catch {
    return { kind: 'invalid', problem: 'the user name is not valid percent-encoding' };
  }
  return located(scheme, user, u.hostname, u.port, u.pathname);
}

/**
 * Whether `url` lies under `prefix`: the same scheme, host and port (and user, when the prefix
 * names one), and the prefix's path segments are the URL's first ones, whole. So
 * `https://git.example.com/org` admits `https://git.example.com/org/app.git`, but neither
 * `https://git.example.com.evil.net/org/app` nor `https://git.example.com/org-evil/app`.
 */
export function underPrefix(url: RepoLocation, prefix: RepoLocation): boolean {
  if (url.scheme !== prefix.scheme || url.host !== prefix.host || url.port !== prefix.port)
    return false;
  if (prefix.user !== '' && url.user !== prefix.user) return false;
  if (prefix.segments.length > url.segments.length) return false;
  return prefix.segments.every((s, i) => url.segments[i] === s);
}

/** The problems of `--allowed-repos` prefixes, each naming the prefix. */
export function allowedRepoProblems(prefixes: readonly string[]): string[] {
  return prefixes.flatMap((p) => {
    const r = repoLocation(p);
    return r.kind === 'ok' ? [] : [`--allowed-repos ${p}: ${r.problem}`];
  });
}

/** What the spoke's policy says of one Assignment's source. */
export type RepoDecision = { kind: 'allowed' } | { kind: 'refused'; message: string };

/** The parts of an Application source the decision reads. */
export interface RepoSource {
  repoURL: string;
  secretRef?: { name: string } | undefined;
}

/**
 * With an allow-list, every repoURL must lie under one of its prefixes, credentials or not: the
 * spoke also decides which hosts it fetches from at all. Without one, an anonymous source is
 * fetched (signature verification still decides what runs) but a source naming a secretRef is
 * refused, since nothing says where the spoke's credentials may go.
 */
export function repoDecision(source: RepoSource, allowedRepos: readonly string[]): RepoDecision {
  const url = source.repoURL;
  const what = `spec.application.source.repoURL ${url}`;
  if (allowedRepos.length === 0) {
    if (source.secretRef === undefined) return { kind: 'allowed' };
    return {
      kind: 'refused',
      message: `${what} names the spoke's credential Secret ${source.secretRef.name}, but this agent has no --allowed-repos, so it sends its credentials to no repository the hub chooses; start the agent with --allowed-repos set to the URL prefix those credentials are for`,
    };
  }
  const loc = repoLocation(url);
  if (loc.kind === 'invalid')
    return { kind: 'refused', message: `${what}: ${loc.problem}; fix the FleetApplication` };
  for (const p of allowedRepos) {
    const prefix = repoLocation(p);
    if (prefix.kind === 'ok' && underPrefix(loc.location, prefix.location))
      return { kind: 'allowed' };
  }
  return {
    kind: 'refused',
    message: `${what} is under none of this agent's --allowed-repos (${allowedRepos.join(', ')}); nothing was fetched from it. If the spoke should fetch it, add its prefix to the agent's --allowed-repos`,
  };
}

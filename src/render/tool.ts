import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOnPath } from '../exec/path.js';
import { describeFailure, ProcessError, run } from '../exec/run.js';
import { threadScratchDir } from '../fs/sandbox.js';
import { LimitExceededError, ToolFailedError } from './errors.js';
import { toolEnvironment, type RenderOptions } from './options.js';

/**
 * A private, empty world for one helm or kustomize run: its own HOME, config, cache and temp
 * directories, removed afterwards, so nothing leaks between applications or from the host.
 */
export interface Sandbox {
  /** The sandbox's real path; scratch files go under it. */
  dir: string;
  /** The environment the tool sees (on top of the runner's scrubbed base). */
  env: Record<string, string>;
}

/**
 * Neither tool may reach the network or start other programs while rendering. PATH names an
 * empty directory, so kustomize finds no `git` to clone a remote base with, and every proxy
 * variable names a closed local port, so an HTTP fetch fails at once instead of leaving.
 */
const deadProxy = 'http://127.0.0.1:9';

export async function withSandbox<T>(use: (sandbox: Sandbox) => Promise<T>): Promise<T> {
  // Under this process's own directory, so whatever a crash leaves is swept at the next start.
  const dir = await realpath(await mkdtemp(join(await threadScratchDir(tmpdir()), 'render-')));
  try {
    const sub = async (name: string): Promise<string> => {
      const p = join(dir, name);
      await mkdir(p);
      return p;
    };
    const home = await sub('home');
    const env: Record<string, string> = {
      HOME: home,
      PATH: await sub('bin'),
      TMPDIR: await sub('tmp'),
      XDG_CACHE_HOME: await sub('cache'),
      XDG_CONFIG_HOME: await sub('config'),
      XDG_DATA_HOME: await sub('data'),
      KUBECONFIG: join(home, 'no-kubeconfig'),
      HTTP_PROXY: deadProxy,
      HTTPS_PROXY: deadProxy,
      ALL_PROXY: deadProxy,
      http_proxy: deadProxy,
      https_proxy: deadProxy,
      NO_PROXY: '',
      no_proxy: '',
    };
    return await use({ dir, env });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface ToolRun {
  tool: 'helm' | 'kustomize';
  binary: string;
  args: string[];
  sandbox: Sandbox;
  /** The application directory, relative to the repository root, that failures are about. */
  subject: string;
  /** The real repository root; the tool's messages name files relative to it, as ours do. */
  root: string;
  env?: Record<string, string>;
  stdin?: string;
  redact?: string[];
}

export type ToolResult =
  | { kind: 'ok'; stdout: string; warnings: string[] }
  | { kind: 'error'; error: ToolFailedError | LimitExceededError };

/** How the Go runtime says an allocation failed under the data limit. */
const outOfMemory =
  /fatal error: (?:runtime: )?(?:out of memory|cannot allocate memory)|runtime: out of memory/;

/**
 * The binary to start: a path as given, a bare name as found on this process's `$PATH`. The
 * lookup happens here because the tool runs with the sandbox's empty PATH.
 */
function binaryOf(spec: ToolRun): { kind: 'found'; file: string } | { kind: 'missing' } {
  if (spec.binary.includes('/')) return { kind: 'found', file: spec.binary };
  const file = findOnPath(spec.binary);
  return file === undefined ? { kind: 'missing' } : { kind: 'found', file };
}

/** Runs helm or kustomize through the one process runner, inside its sandbox. */
export async function runTool(spec: ToolRun, options: RenderOptions): Promise<ToolResult> {
  const binary = binaryOf(spec);
  if (binary.kind === 'missing') {
    const { tool } = spec;
    const remedy = `install ${tool} on the controller's PATH, or set ${toolEnvironment[tool]} to its path`;
    const problem = `no ${spec.binary} on PATH`;
    return {
      kind: 'error',
      error: new ToolFailedError({ file: spec.subject }, tool, problem, remedy),
    };
  }
  const result = await run(binary.file, spec.args, {
    cwd: spec.sandbox.dir,
    timeoutMs: options.timeoutMs,
    maxStdoutBytes: options.maxOutputBytes,
    maxMemoryBytes: options.maxToolMemoryBytes,
    env: { ...spec.sandbox.env, ...spec.env },
    redact: spec.redact ?? [],
    ...(spec.stdin === undefined ? {} : { stdin: spec.stdin }),
  });
  if (result.kind !== 'ok') {
    const cause = new ProcessError(`${spec.tool} ${spec.args[0] ?? ''}`.trim(), result);
    if (result.kind === 'output-limit') {
      const problem = `${spec.tool} printed more than ${result.limitBytes} bytes`;
      const remedy = 'split the application or raise maxOutputBytes';
      return {
        kind: 'error',
        error: new LimitExceededError({ file: spec.subject, cause }, problem, remedy),
      };
    }
    if (result.kind === 'exit' && outOfMemory.test(result.stderr)) {
      const mib = Math.round(options.maxToolMemoryBytes / 1024 / 1024);
      const problem = `${spec.tool} needed more than its memory limit of ${mib} MiB and was stopped`;
      const remedy = 'look for YAML aliases or loops that expand, or raise maxToolMemoryBytes';
      return {
        kind: 'error',
        error: new LimitExceededError({ file: spec.subject, cause }, problem, remedy),
      };
    }
    return {
      kind: 'error',
      error: new ToolFailedError(
        { file: spec.subject, cause },
        spec.tool,
        describeFailure(result).split(`${spec.root}/`).join(''),
      ),
    };
  }
  return {
    kind: 'ok',
    stdout: result.stdout.toString('utf8'),
    warnings: warningLines(result.stderr),
  };
}

function warningLines(stderr: string): string[] {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return [...new Set(lines)];
}

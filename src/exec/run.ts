import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';

/** How one external process is run. Every call to git, helm, kustomize, sops or openssl goes through here. */
export interface RunOptions {
  /** Working directory of the child. */
  cwd?: string;
  /** Kill the child (SIGKILL to its process group) after this many milliseconds. */
  timeoutMs: number;
  /** Stop reading stdout after this many bytes and fail the run. */
  maxStdoutBytes: number;
  /** Stop reading stderr after this many bytes; the tail is kept for the error. */
  maxStderrBytes: number;
  /**
   * The environment the child sees. The parent's environment is never inherited wholesale:
   * only PATH, HOME, LANG and TMPDIR pass through, plus these entries.
   */
  env: Record<string, string>;
  /** Bytes written to the child's stdin, then closed. */
  stdin?: string | Buffer;
  /** Strings that must never appear in an error message (tokens, passwords). */
  redact: readonly string[];
  /** Kill the child (SIGKILL to its process group) when this aborts; a watchdog's way out. */
  signal?: AbortSignal;
  /**
   * The child's data limit in bytes (RLIMIT_DATA, set through prlimit or the shell's ulimit);
   * undefined sets none. RLIMIT_DATA rather than RLIMIT_AS, because Go reserves far more address
   * space than it ever touches; writable private memory is what a runaway expansion costs.
   */
  maxMemoryBytes?: number | undefined;
}

export function defaultRunOptions(): RunOptions {
  return {
    timeoutMs: 60_000,
    maxStdoutBytes: 64 * 1024 * 1024,
    maxStderrBytes: 64 * 1024,
    env: {},
    redact: [],
  };
}

export interface RunOk {
  kind: 'ok';
  stdout: Buffer;
  stderr: string;
}

export type RunFailure =
  | {
      kind: 'exit';
      code: number | null;
      signal: NodeJS.Signals | null;
      stderr: string;
      /** What it printed before failing: `diff`-style tools report through exit codes. */
      stdout: Buffer;
    }
  | { kind: 'timeout'; afterMs: number; stderr: string }
  /** `signal` aborted; `reason` is the abort reason's message. */
  | { kind: 'aborted'; reason: string; stderr: string }
  | { kind: 'output-limit'; stream: 'stdout'; limitBytes: number }
  | { kind: 'spawn'; message: string };

export type RunResult = RunOk | RunFailure;

/** A failed external command. The message names the command (never its secrets) and what went wrong. */
export class ProcessError extends Error {
  override readonly name = 'ProcessError';
  constructor(
    readonly command: string,
    readonly failure: RunFailure,
    options?: { cause?: unknown },
  ) {
    super(`${command}: ${describeFailure(failure)}`, options);
  }
}

export function describeFailure(f: RunFailure): string {
  switch (f.kind) {
    case 'exit':
      return `exited with ${f.code === null ? `signal ${String(f.signal)}` : `code ${f.code}`}${tail(f.stderr)}`;
    case 'timeout':
      return `timed out after ${f.afterMs} ms and was killed${tail(f.stderr)}`;
    case 'aborted':
      return `was killed: ${f.reason}`;
    case 'output-limit':
      return `wrote more than ${f.limitBytes} bytes to ${f.stream} and was killed`;
    case 'spawn':
      return `could not be started: ${f.message}`;
  }
}

function tail(stderr: string): string {
  const t = stderr.trim();
  return t === '' ? '' : `: ${t.slice(-2000)}`;
}

const passThroughEnv = ['PATH', 'HOME', 'LANG', 'TMPDIR'] as const;

function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of passThroughEnv) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return { ...env, ...extra };
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('***');
  return out;
}

const prlimitPaths = ['/usr/bin/prlimit', '/bin/prlimit'];
const shellPath = '/bin/sh';
let limiter: 'prlimit' | 'sh' | 'none' | undefined;
let prlimitPath = '';

/** The command line that runs `file` under a data limit, or undefined when nothing can set one. */
function limited(
  file: string,
  args: readonly string[],
  bytes: number,
): { file: string; args: string[] } | undefined {
  if (limiter === undefined) {
    prlimitPath = prlimitPaths.find((p) => existsSync(p)) ?? '';
    limiter = prlimitPath !== '' ? 'prlimit' : existsSync(shellPath) ? 'sh' : 'none';
  }
  switch (limiter) {
    case 'prlimit':
      return { file: prlimitPath, args: [`--data=${bytes}`, '--', file, ...args] };
    case 'sh': {
      const kib = String(Math.max(1, Math.floor(bytes / 1024)));
      // The command and its arguments stay positional parameters: nothing is parsed by the shell.
      const script = 'ulimit -d "$1" && shift && exec "$@"';
      return { file: shellPath, args: ['-c', script, 'sh', kib, file, ...args] };
    }
    case 'none':
      return undefined;
  }
}

function unrunnable(file: string): string | undefined {
  try {
    accessSync(file, constants.X_OK);
    return undefined;
  } catch (e) {
    return `spawn ${file} ${(e as NodeJS.ErrnoException).code ?? 'EACCES'}`;
  }
}

/** Runs a command to completion. Never throws: the outcome is a value. */
export function run(
  file: string,
  args: readonly string[],
  partial: Partial<RunOptions> = {},
): Promise<RunResult> {
  const opts = { ...defaultRunOptions(), ...partial };
  let command = { file, args: [...args] };
  if (opts.maxMemoryBytes !== undefined) {
    // Through the limiter a missing binary would be the limiter's exit 127; say it as spawn would.
    const missing = file.includes('/') ? unrunnable(file) : undefined;
    if (missing !== undefined) return Promise.resolve({ kind: 'spawn', message: missing });
    const wrapped = limited(file, args, opts.maxMemoryBytes);
    // A limit that was asked for and cannot be set refuses the run rather than dropping it.
    if (wrapped === undefined) {
      const message = `cannot limit its memory: neither ${prlimitPaths.join(' nor ')} nor ${shellPath} exists`;
      return Promise.resolve({ kind: 'spawn', message });
    }
    command = wrapped;
  }
  return new Promise((resolve) => {
    const child = spawn(command.file, command.args, {
      cwd: opts.cwd,
      env: childEnv(opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let settled: RunResult | undefined;
    const finish = (r: RunResult): void => {
      settled ??= r;
    };
    const killGroup = (): void => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    };
    const timer = setTimeout(() => {
      finish({ kind: 'timeout', afterMs: opts.timeoutMs, stderr: scrub(err, opts.redact) });
      killGroup();
    }, opts.timeoutMs);
    const onAbort = (): void => {
      const why: unknown = opts.signal?.reason;
      finish({
        kind: 'aborted',
        reason: why instanceof Error ? why.message : String(why),
        stderr: scrub(err, opts.redact),
      });
      killGroup();
    };
    if (opts.signal?.aborted === true) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > opts.maxStdoutBytes) {
        finish({ kind: 'output-limit', stream: 'stdout', limitBytes: opts.maxStdoutBytes });
        killGroup();
        return;
      }
      out.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      err = (err + chunk).slice(-opts.maxStderrBytes);
    });
    child.on('error', (e) => {
      finish({ kind: 'spawn', message: scrub(e.message, opts.redact) });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      const stderr = scrub(err, opts.redact);
      finish(
        code === 0 && signal === null
          ? { kind: 'ok', stdout: Buffer.concat(out), stderr }
          : { kind: 'exit', code, signal, stderr, stdout: Buffer.concat(out) },
      );
      resolve(settled ?? { kind: 'spawn', message: 'no outcome' });
    });
    child.stdin.on('error', () => {
      // The child may exit before reading its input; its exit status tells the story.
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

/** Runs a command and returns stdout, or throws a ProcessError naming `label`. */
export async function runOrThrow(
  label: string,
  file: string,
  args: readonly string[],
  partial: Partial<RunOptions> = {},
): Promise<Buffer> {
  const r = await run(file, args, partial);
  if (r.kind !== 'ok') throw new ProcessError(label, r);
  return r.stdout;
}

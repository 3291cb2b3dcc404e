#!/usr/bin/env node
/**
 * The `ballast` command. Ballast needs Node 24, but `#!/usr/bin/env node` finds whatever Node
 * is first on PATH: under `npx` that is the checkout's own (the `node` devDependency), but a
 * shell, nohup or systemd may find an older system Node, on which the CLI fails deep inside
 * with "No such built-in module: node:sqlite". So this file, which an older Node can run too,
 * starts the CLI in-process on Node 24, else re-runs it on a Node 24 from node_modules, else
 * says what is missing. It imports nothing of Ballast's until the Node is known to be good.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chooseRuntime } from './runtime.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The `node` package's binary, from the package's own node_modules or any above it. */
function bundledNode(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('node/package.json');
    const bin = join(dirname(pkg), 'bin', 'node');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs start.js on `node` with our arguments and ends as it ends. SIGTERM and SIGHUP sent to
 * this process alone (`kill PID`, a supervisor) are passed on; SIGINT from a terminal already
 * reaches the whole process group, so it is only kept from killing this process first.
 */
function rerun(node: string): void {
  const child = spawn(node, [join(here, 'start.js'), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward);
  process.on('SIGINT', () => undefined);
  child.on('error', (e) => {
    process.stderr.write(`ballast: cannot start ${node}: ${e.message}\n`);
    process.exit(2);
  });
  child.on('exit', (code, signal) => {
    if (signal === null) process.exit(code ?? 2);
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  });
}

const runtime = chooseRuntime(process.versions.node, process.execPath, bundledNode);
switch (runtime.kind) {
  case 'here':
    await import('./start.js');
    break;
  case 'rerun':
    rerun(runtime.node);
    break;
  case 'missing':
    process.stderr.write(`${runtime.message}\n`);
    process.exitCode = 2;
}

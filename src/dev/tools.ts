import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, toolDir, toolPath } from './paths.js';
import type { ToolName } from './versions.js';

/** A tool could not be built: Go is missing, or the build failed. */
export class ToolBuildError extends Error {
  override readonly name = 'ToolBuildError';
  constructor(
    readonly tools: readonly ToolName[],
    message: string,
  ) {
    super(message);
  }
}

export function isToolPresent(tool: ToolName): boolean {
  if (!existsSync(toolPath(tool))) return false;
  if (tool === 'kwok') return existsSync(join(toolDir('kwok'), 'stages.yaml'));
  if (tool === 'sealed-secrets-controller') return existsSync(join(toolDir(tool), 'crd.yaml'));
  return true;
}

function goOnPath(): boolean {
  const dirs = (process.env.PATH ?? '').split(':');
  return dirs.some((d) => d !== '' && existsSync(join(d, 'go')));
}

/**
 * Builds the missing tools with tools/build.sh, streaming its progress. The first build of the
 * control plane takes many minutes; later calls find everything cached and return at once.
 */
export async function ensureTools(
  tools: readonly ToolName[],
  log: (l: string) => void,
): Promise<void> {
  const missing = tools.filter((t) => !isToolPresent(t));
  if (missing.length === 0) return;
  if (!goOnPath()) {
    throw new ToolBuildError(
      missing,
      `ballast: Go is not installed; install Go 1.26 or newer (https://go.dev/doc/install) and put 'go' on PATH to build ${missing.join(', ')}.`,
    );
  }
  log(`Building ${missing.join(', ')} from their pinned Go modules (first time only)...`);
  const script = join(repoRoot(), 'tools', 'build.sh');
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('bash', [script, ...missing], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', () => {
      resolve(null);
    });
    child.on('close', resolve);
  });
  if (code !== 0) {
    throw new ToolBuildError(
      missing,
      `tools/build.sh ${missing.join(' ')} failed (exit ${String(code)}); its output is above.`,
    );
  }
}

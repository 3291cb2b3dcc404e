#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { repoRoot } from '../dev/paths.js';
import { registerDev } from './dev.js';
import { registerInstall } from './install.js';
import { registerSync } from './sync.js';
import { registerController } from './controller.js';
import { registerApp } from './app.js';
import { registerVerify } from './verify.js';
import { registerAudit } from './audit.js';
import { registerSecrets } from './secrets.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('ballast')
    .description('Ballast: a GitOps controller for Kubernetes.')
    .version(version(), '-v, --version', 'print the Ballast version')
    .showHelpAfterError()
    .exitOverride();
  registerSync(program);
  registerController(program);
  registerApp(program);
  registerSecrets(program);
  registerDev(program);
  registerInstall(program);
  registerVerify(program);
  registerAudit(program);
  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  }
}

await main();

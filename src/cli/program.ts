import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { packageRoot } from '../fs/package-root.js';

type Register = (program: Command) => void;

/**
 * The modules that define the top-level commands, with the names each one registers, in the order
 * of `ballast --help`. A command's flags and help live next to its implementation, so defining a
 * command loads everything it imports; a long-running `ballast controller` should not carry the
 * modules of `ballast dev`, `app` or `audit` for its whole life. So only the module of the command
 * being run is imported, and all of them only when the root help may be printed.
 */
export const commandModules: readonly {
  names: readonly string[];
  load: () => Promise<Register>;
}[] = [
  { names: ['diff', 'sync'], load: async () => (await import('./sync.js')).registerSync },
  {
    names: ['controller'],
    load: async () => (await import('./controller.js')).registerController,
  },
  { names: ['hub'], load: async () => (await import('./hub.js')).registerHub },
  { names: ['agent'], load: async () => (await import('./agent.js')).registerAgent },
  { names: ['app'], load: async () => (await import('./app.js')).registerApp },
  { names: ['fleet'], load: async () => (await import('./fleet.js')).registerFleet },
  { names: ['secrets'], load: async () => (await import('./secrets.js')).registerSecrets },
  { names: ['dev'], load: async () => (await import('./dev.js')).registerDev },
  { names: ['install'], load: async () => (await import('./install.js')).registerInstall },
  { names: ['verify-commit'], load: async () => (await import('./verify.js')).registerVerify },
  {
    names: ['lint-commits'],
    load: async () => (await import('./lint-commits.js')).registerLintCommits,
  },
  { names: ['audit'], load: async () => (await import('./audit.js')).registerAudit },
  { names: ['ui'], load: async () => (await import('./ui.js')).registerUi },
  {
    names: ['completion'],
    load: async () => (await import('./completion.js')).registerCompletion,
  },
];

function version(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/**
 * The command named by `args` (the arguments after the script): the first one, unless it is an
 * option. Commander acts on root options given before the command (`ballast -h sync` prints the
 * root help), so then no command counts as named.
 */
export function commandOf(args: readonly string[]): string | undefined {
  const first = args[0];
  return first === undefined || first.startsWith('-') ? undefined : first;
}

/**
 * The `ballast` program for `args`. When they name a known command, only that command's module is
 * registered: its help and errors print only itself. Otherwise (no command, `help`, a typo) every
 * command is, so the root help, `help <command>` and "unknown command" suggestions are complete.
 */
export async function buildProgram(args: readonly string[]): Promise<Command> {
  const program = new Command('ballast')
    .description('Ballast: a GitOps controller for Kubernetes.')
    // kubectl's spelling: -v is not the version (kubectl keeps it for log verbosity).
    .version(version(), '--version', 'print the Ballast version')
    .showHelpAfterError()
    .exitOverride();
  const name = commandOf(args);
  const one = commandModules.find((m) => name !== undefined && m.names.includes(name));
  const registers = await Promise.all(
    (one === undefined ? commandModules : [one]).map((m) => m.load()),
  );
  for (const register of registers) register(program);
  return program;
}

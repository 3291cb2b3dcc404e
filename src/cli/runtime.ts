/**
 * Which Node runs the CLI. This module and main.ts import nothing of Ballast's, so an older
 * Node can load them and say what is wrong instead of failing on a missing built-in.
 */

/** The oldest Node major the CLI runs on (package.json's engines). */
export const requiredNodeMajor = 24;

/** Where the CLI runs. */
export type Runtime =
  /** This process's Node is new enough: run in-process. */
  | { kind: 'here' }
  /** Re-run on this Node binary, the `node` package's from node_modules. */
  | { kind: 'rerun'; node: string }
  /** No Node new enough was found; `message` says what to install. */
  | { kind: 'missing'; message: string };

/**
 * `version` is this process's (process.versions.node), `execPath` its binary; `bundled` finds
 * the `node` package's binary when one is installed next to Ballast, and is only asked when
 * this Node is too old.
 */
export function chooseRuntime(
  version: string,
  execPath: string,
  bundled: () => string | undefined,
): Runtime {
  if (Number(version.split('.')[0]) >= requiredNodeMajor) return { kind: 'here' };
  const node = bundled();
  if (node !== undefined) return { kind: 'rerun', node };
  return {
    kind: 'missing',
    message:
      `ballast needs Node ${requiredNodeMajor} or newer; ${execPath} is v${version}. ` +
      `Install Node ${requiredNodeMajor} (https://nodejs.org) and put it first on PATH, or run ` +
      'ballast from a checkout with `npx ballast`, which uses the Node in its node_modules.',
  };
}

import { rm } from 'node:fs/promises';
import { commitChanges } from '../src/source/verify/commit-changes.js';
import { judgeCommitSizes } from '../src/source/verify/commit-size.js';
import { verifyRevision } from '../src/source/verify/policy.js';
import { signedChain, sshSigner } from './verify.js';

const runs = 5;
const apps = 20;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};
const ms = (n: number): string => `${n.toFixed(1)} ms`;

/**
 * Trees for `n` commits written with one `git fast-import`: commit i changes 3 files of app
 * i % 20 (every 100th changes 50), so the walk has real diffs to list.
 */
function treesBy(n: number) {
  return async (git: (args: string[], stdin?: string) => Promise<Buffer>): Promise<string[]> => {
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      lines.push(
        'commit refs/heads/scratch',
        `committer B <b@example.com> ${1_700_000_000 + i} +0000`,
      );
      lines.push('data 1', '.');
      const files = i % 100 === 0 ? 50 : 3;
      for (let f = 0; f < files; f++) {
        const body = `n: ${i}\n`;
        lines.push(`M 100644 inline apps/app${i % apps}/f${f}.yaml`, `data ${body.length}`, body);
      }
    }
    await git(['fast-import', '--quiet'], lines.join('\n') + '\n');
    const out = await git(['log', '--reverse', '--format=%T', 'scratch']);
    return out.toString().trim().split('\n');
  };
}

/**
 * The small-commit policy's cost on an `all`-mode walk: the same signed chain verified with and
 * without the policy, runs interleaved in one process so both see the same machine.
 */
export async function benchCommitPolicy(walkLength: number): Promise<void> {
  const signer = sshSigner('ssh-ed25519');
  const chain = await signedChain(signer, walkLength, treesBy(walkLength));
  const appPaths = Array.from({ length: apps }, (_, i) => `apps/app${i}`);
  // A repository followed by 10,000 Applications, as the fleet figures assume.
  const manyPaths = Array.from({ length: 10_000 }, (_, i) => `apps/app${i}`);
  const ruleMany: number[] = [];
  try {
    const request = {
      mode: 'all' as const,
      target: chain.tip,
      since: chain.first,
      keys: signer.keys,
    };
    const without: number[] = [];
    const withPolicy: number[] = [];
    const policyOnly: number[] = [];
    let over = 0;
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      await verifyRevision(chain.gitDir, request);
      without.push(performance.now() - t);
      t = performance.now();
      await verifyRevision(chain.gitDir, request);
      const p0 = performance.now();
      const walk = await commitChanges(chain.gitDir, { since: chain.first, target: chain.tip });
      const v = judgeCommitSizes(walk, {
        limits: { maxFilesChanged: 10, maxApplicationsTouched: 1 },
        path: 'apps/app0',
        appPaths,
      });
      const end = performance.now();
      withPolicy.push(end - t);
      policyOnly.push(end - p0);
      if (walk.length !== walkLength - 1) throw new Error('bench: walk lost commits');
      const r0 = performance.now();
      judgeCommitSizes(walk, {
        limits: { maxApplicationsTouched: 1 },
        path: 'apps/app0',
        appPaths: manyPaths,
      });
      ruleMany.push(performance.now() - r0);
      over = v.kind === 'over' ? v.commits.length : 0;
    }
    const base = median(without);
    const extra = median(withPolicy) - base;
    process.stdout.write(
      `all mode + commitPolicy, ${walkLength - 1} commits  SSH ssh-ed25519  median ${ms(median(withPolicy))} ` +
        `vs ${ms(base)} without (+${ms(extra)}, +${((extra / base) * 100).toFixed(0)}%); ` +
        `policy alone (one git log + rule) ${ms(median(policyOnly))}; ${over} commits over; ` +
        `the rule alone with 10,000 Applications on the repository ${ms(median(ruleMany))} (${runs} runs)\n`,
    );
  } finally {
    await rm(chain.gitDir, { recursive: true, force: true });
  }
}

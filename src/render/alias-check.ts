import { readFile, stat } from 'node:fs/promises';
import type { TreeFile } from './confine.js';
import { LimitExceededError, RenderIoError } from './errors.js';
import type { ParseLimits } from './options.js';
import { parseDocuments } from './yaml.js';

/** An anchor (`&a`) and an alias (`*a`) where YAML allows them: after space, `-`, `:`, `[`, `{` or `,`. */
export function usesAliases(text: string): boolean {
  return /(?:^|[\s,[{:-])&[^\s,[\]{}]/m.test(text) && /(?:^|[\s,[{:-])\*[^\s,[\]{}]/m.test(text);
}

/**
 * kustomize and helm expand YAML aliases without a useful bound (a 376-byte file became 10 MB
 * and 1 GB inside kustomize), so every file they could read that uses anchors at all is put
 * through our own limits first, whatever its name: kustomize reads `resources: [bomb.txt]` as
 * YAML, and a chart can `.Files.Get` any file and pass it to `fromYaml`. Other problems in
 * those files are left for the tool to report in its own words.
 */
export async function findAliasBomb(
  files: readonly TreeFile[],
  limits: ParseLimits,
): Promise<LimitExceededError | RenderIoError | undefined> {
  for (const file of files) {
    let text: string;
    try {
      const size = (await stat(file.real)).size;
      if (size > limits.maxFileBytes) {
        return new LimitExceededError(
          { file: file.rel },
          `the file is ${size} bytes, over the limit of ${limits.maxFileBytes}`,
          'split it into smaller files or raise limits.maxFileBytes',
        );
      }
      text = await readFile(file.real, 'utf8');
    } catch (e) {
      return new RenderIoError({ file: file.rel, cause: e }, 'cannot be read');
    }
    if (!usesAliases(text)) continue;
    const parsed = parseDocuments(text, file.rel, limits);
    if (parsed.kind === 'error' && parsed.error instanceof LimitExceededError) return parsed.error;
  }
  return undefined;
}

import { Composer, LineCounter, Parser } from 'yaml';
import { defaultParseLimits } from '../src/render/options.js';
import { parseDocuments } from '../src/render/yaml.js';

/**
 * A ConfigMap of `keys` entries, the shape of the 829 KB one that froze the controller: 60k
 * keys make 720 KB, under the apiserver's 1 MiB bound on a ConfigMap.
 */
export function manyKeysConfigMap(keys: number, name = 'many-keys'): string {
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', `  name: ${name}`, 'data:'];
  for (let i = 0; i < keys; i++) lines.push(`  k${String(i).padStart(5, '0')}: v`);
  return `${lines.join('\n')}\n`;
}

/** The parse as it was: the `yaml` package's own duplicate-key check, one key against all before it. */
function parseWithLibraryCheck(text: string): void {
  const lines = new LineCounter();
  const composer = new Composer({ version: '1.1', uniqueKeys: true });
  for (const doc of composer.compose(new Parser(lines.addNewLine).parse(text), true, text.length)) {
    const [error] = doc.errors;
    if (error !== undefined) throw error;
    doc.toJS({ maxAliasCount: 100 });
  }
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/**
 * Parse time of one many-keyed ConfigMap with the library's quadratic duplicate-key check (as
 * before) and with the linear check `parseDocuments` does now, in one process.
 * `npm run bench yaml-keys`; BALLAST_BENCH_KEYS=5000,60000 picks the sizes.
 */
export async function benchYamlKeys(): Promise<void> {
  const sizes = (process.env.BALLAST_BENCH_KEYS ?? '5000,20000,60000').split(',').map(Number);
  const limits = defaultParseLimits();
  for (const keys of sizes) {
    const text = manyKeysConfigMap(keys);
    const kb = (Buffer.byteLength(text) / 1024).toFixed(0);
    const linear = time(() => {
      if (parseDocuments(text, 'bench.yaml', limits).kind !== 'ok') throw new Error('parse failed');
    });
    const library = time(() => {
      parseWithLibraryCheck(text);
    });
    process.stdout.write(
      `${keys} keys (${kb} KB): library check ${library.toFixed(0)} ms, linear check ${linear.toFixed(0)} ms\n`,
    );
    await Promise.resolve();
  }
}

import { readFile, writeFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';

interface Named {
  name: string;
}
interface Kubeconfig {
  clusters: Named[];
  users: Named[];
  contexts: Named[];
}

/** Merges single-cluster kubeconfigs into one; the first file's context becomes current. */
export async function writeKubeconfigMerged(path: string, files: readonly string[]): Promise<void> {
  const docs = await Promise.all(
    files.map(async (f) => parse(await readFile(f, 'utf8')) as Kubeconfig),
  );
  const first = docs[0]?.contexts[0]?.name ?? '';
  const merged = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: docs.flatMap((d) => d.clusters),
    users: docs.flatMap((d) => d.users),
    contexts: docs.flatMap((d) => d.contexts),
    'current-context': first,
  };
  await writeFile(path, stringify(merged), { mode: 0o600 });
}

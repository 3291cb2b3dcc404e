import { readdir } from 'node:fs/promises';
import type { RendererName } from './types.js';

/** The names kustomize itself accepts, in its own order of preference. */
export const kustomizationFileNames = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** The renderer a directory asks for, judged by its marker file, from a listing of its names. */
export function rendererFor(names: readonly string[]): RendererName {
  if (names.includes('Chart.yaml')) return 'helm';
  if (kustomizationFileNames.some((n) => names.includes(n))) return 'kustomize';
  return 'plain';
}

/** Reads the directory and picks its renderer: `Chart.yaml` → helm, a kustomization → kustomize, else plain. */
export async function detectRenderer(dir: string): Promise<RendererName> {
  return rendererFor(await readdir(dir));
}

/** The kustomization file in a directory listing, if any. */
export function kustomizationFileIn(names: readonly string[]): string | undefined {
  return kustomizationFileNames.find((n) => names.includes(n));
}

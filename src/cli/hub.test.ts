import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The files of src/ that `file` imports statically, transitively (type-only imports excluded). */
function staticImports(file: string): Set<string> {
  const seen = new Set<string>();
  const visit = (f: string): void => {
    if (seen.has(f)) return;
    seen.add(f);
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/^(?:import|export) (?!type )[^;]*?from '(\.[^']+)\.js';/gms)) {
      visit(join(dirname(f), `${m[1] ?? ''}.ts`));
    }
  };
  visit(join(src, file));
  return new Set([...seen].map((f) => relative(src, f)));
}

describe('ballast hub', () => {
  const hub = staticImports('cli/hub.ts');

  it('sees the imports it checks, so an absence below means something', () => {
    expect(hub).toContain('fleet/hub/hub.ts');
    expect(hub).toContain('reconcile/leader.ts');
    expect(staticImports('cli/controller.ts')).toContain('reconcile/controller.ts');
  });

  it("loads neither the controller command nor the controller's reconcile loop", () => {
    expect(hub).not.toContain('cli/controller.ts');
    expect(hub).not.toContain('reconcile/controller.ts');
  });
});

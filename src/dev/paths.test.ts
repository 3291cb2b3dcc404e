import { describe, expect, it } from 'vitest';
import { toolDir, toolsOnPath } from './paths.js';

describe('toolsOnPath', () => {
  it('puts the built kubectl, helm, kustomize and sops first, once however often it is applied', () => {
    const dirs = ['kubectl', 'helm', 'kustomize', 'sops'] as const;
    const once = toolsOnPath('/usr/local/bin:/usr/bin');
    expect(once).toBe([...dirs.map(toolDir), '/usr/local/bin', '/usr/bin'].join(':'));
    expect(toolsOnPath(once)).toBe(once);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultKubeVersion } from '../render/options.js';
import { repoRoot } from './paths.js';
import { toolModules, toolVersions, type ToolName } from './versions.js';
import { baoVersion } from './bao.js';

describe('tool versions', () => {
  it.each(Object.keys(toolVersions) as ToolName[])(
    'names the version that tools/ pins for %s',
    (tool) => {
      const { dir, module } = toolModules[tool];
      const gomod = readFileSync(join(repoRoot(), 'tools', dir, 'go.mod'), 'utf8');
      const line = gomod.split('\n').find((l) => l.trim().startsWith(module + ' '));
      expect(line?.trim().split(/\s+/)[1]).toBe(toolVersions[tool]);
    },
  );
});

describe('the Kubernetes version helm renders for', () => {
  it('is the dev control plane’s, unless the caller names one', () => {
    expect(defaultKubeVersion).toBe(toolVersions['kube-apiserver']);
  });
});

describe('the bao version', () => {
  it('is the one tools/bao.sh installs', () => {
    const script = readFileSync(join(repoRoot(), 'tools', 'bao.sh'), 'utf8');
    expect(/^version=(\S+)/m.exec(script)?.[1]).toBe(baoVersion);
  });
});

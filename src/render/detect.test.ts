import { describe, expect, it } from 'vitest';
import { rendererFor } from './detect.js';

describe('rendererFor', () => {
  it('picks helm for a directory with Chart.yaml, even beside a kustomization', () => {
    expect(rendererFor(['Chart.yaml', 'values.yaml', 'kustomization.yaml'])).toBe('helm');
  });

  it.each(['kustomization.yaml', 'kustomization.yml', 'Kustomization'])(
    'picks kustomize for %s',
    (name) => {
      expect(rendererFor([name, 'deployment.yaml'])).toBe('kustomize');
    },
  );

  it('picks plain for anything else', () => {
    expect(rendererFor(['deploy.yaml', 'chart.yaml', 'Kustomization.yaml'])).toBe('plain');
  });
});

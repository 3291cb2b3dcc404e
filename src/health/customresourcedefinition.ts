import type { KubeObject } from '../api/object.js';
import { condition, describe } from './read.js';
import { degraded, healthy, progressing, type HealthReport } from './report.js';

/**
 * A CustomResourceDefinition serves its resources once Established. NamesAccepted False (its
 * names clash with another CRD's) and NonStructuralSchema True never resolve on their own, so
 * they are Degraded; anything else short of Established is Progressing.
 */
export function customResourceDefinitionHealth(obj: KubeObject): HealthReport {
  const names = condition(obj, 'NamesAccepted');
  if (names?.status === 'False') return degraded(`names not accepted: ${describe(names)}`);
  const nonStructural = condition(obj, 'NonStructuralSchema');
  if (nonStructural?.status === 'True')
    return degraded(`schema is not structural: ${describe(nonStructural)}`);
  const established = condition(obj, 'Established');
  if (established?.status === 'True') return healthy('established');
  if (established === undefined) return progressing('waiting for the apiserver to establish it');
  return progressing(`not established yet: ${describe(established)}`);
}

import { deploymentYaml } from './manifests.js';
/**
 * The app the fleet tests deploy: a ConfigMap `settings` holding `data` as written (so
 * `${cluster_name}` and the like stay for the agent to substitute), and a one-replica
 * Deployment `web` of `image` (one tagged `:broken` never becomes ready on the dev control
 * plane) whose scale the tests change by hand.
 */
export function webApp(data: Readonly<Record<string, string>>, image = 'nginx:1.27'): string {
  const lines = Object.entries(data).map(([k, v]) => `  ${k}: ${v}`);
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
${lines.join('\n')}
---
${deploymentYaml({ image })}`;
}

import { ignoreRuleProblems } from '../api/application.js';
import {
  applicationSpecFields,
  destinationNamespace,
  variableNameRegex,
} from '../api/application-spec.js';
import { labelSelectorProblems, labelSelectorSchema } from '../api/label-selector.js';
import { arr, map, obj, opt, str, type Infer } from '../api/schema.js';
import { mapEntryPath } from '../api/schema-validate.js';
import { clusterNameRegex, maxClusterNameLength } from './names.js';

const { source, syncPolicy, ignoreDifferences, verification, decryption } = applicationSpecFields;

/**
 * What every selected cluster runs: an Application spec, reusing the Application's own field
 * declarations. Its destination has no `cluster`: placement picks the clusters.
 */
export const templateSchema = obj(
  {
    source,
    destination: obj(
      { namespace: destinationNamespace },
      {
        description:
          'Where the rendered objects go on each selected cluster. There is no cluster field: ' +
          'spec.placement picks the clusters.',
      },
    ),
    syncPolicy,
    ignoreDifferences,
    verification,
    decryption,
  },
  {
    description:
      'The Application spec every selected cluster runs, with ${var} substituted per cluster. ' +
      'Secret names (source.secretRef, verification.secretRef, decryption.secretRef) are ' +
      "looked up on each spoke, in the agent's namespace, never on the hub.",
  },
);

export type FleetTemplate = Infer<typeof templateSchema>;

export const clusterNameSchema = str({
  description: 'The name of a Cluster.',
  minLength: 1,
  maxLength: maxClusterNameLength,
  pattern: {
    regex: clusterNameRegex,
    hint: `a Cluster name: a DNS label of at most ${maxClusterNameLength} characters`,
  },
});

export const placementSchema = obj(
  {
    clusterSelector: opt(
      labelSelectorSchema({ what: 'Cluster', description: 'Clusters whose labels match.' }),
    ),
    clusterNames: opt(
      arr(clusterNameSchema, {
        description: 'Clusters by name, besides those the selector picks.',
        maxItems: 1000,
      }),
    ),
  },
  {
    description:
      'Which Clusters run the template: those clusterSelector matches and those clusterNames ' +
      'names. With neither, none; a selector matching no Cluster is not an error.',
  },
);

export type Placement = Infer<typeof placementSchema>;

/** Names the hub derives from the Cluster; a values entry may not set them. */
export const reservedVariablePrefix = 'cluster_';

export const valuesEntrySchema = obj(
  {
    clusterSelector: labelSelectorSchema({
      what: 'Cluster',
      description: 'The Clusters these variables apply to; {} for every selected Cluster.',
    }),
    variables: map(str({ description: 'The value, substituted as text.' }), {
      description:
        'Variables by name ([_a-zA-Z][_a-zA-Z0-9]*, not starting with cluster_). When several ' +
        'entries match a Cluster, a later entry wins.',
      maxProperties: 256,
    }),
  },
  { description: 'Variables for the Clusters a selector matches.' },
);

export type ValuesEntry = Infer<typeof valuesEntrySchema>;

/** Why a variable name cannot be set in spec.values, or undefined. */
export function variableNameProblem(name: string): string | undefined {
  if (!variableNameRegex.test(name))
    return 'expected a variable name: a letter or _, then letters, digits or _';
  if (name.startsWith(reservedVariablePrefix))
    return `names starting with ${reservedVariablePrefix} are set from the Cluster; choose another name`;
  return undefined;
}

/** Rules the CRD cannot state: selector keys and operators, variable names, ignore rules. */
export function fleetSpecProblems(
  spec: { template: FleetTemplate; placement: Placement; values?: ValuesEntry[] },
  path: string,
): string[] {
  const problems = ignoreRuleProblems(spec.template, `${path}.template`);
  if (spec.placement.clusterSelector !== undefined)
    problems.push(
      ...labelSelectorProblems(spec.placement.clusterSelector, `${path}.placement.clusterSelector`),
    );
  for (const [i, entry] of (spec.values ?? []).entries()) {
    const at = `${path}.values[${i}]`;
    problems.push(...labelSelectorProblems(entry.clusterSelector, `${at}.clusterSelector`));
    for (const name of Object.keys(entry.variables)) {
      const bad = variableNameProblem(name);
      if (bad !== undefined) problems.push(`${mapEntryPath(`${at}.variables`, name)}: ${bad}`);
    }
  }
  return problems;
}

import { enm, int, obj, opt, str, time, type Pattern } from './schema.js';

/** metav1.Condition's reason rule: a CamelCase word, as `kubectl wait --for=condition` users read. */
export const conditionReason: Pattern = {
  regex: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
  hint: 'a CamelCase reason such as SyncFailed',
};

/**
 * metav1.Condition, with the same validation and the type narrowed to one kind's own types, so
 * every ballast.dev kind reports conditions kstatus and `kubectl wait` read the same way.
 */
export function conditionSchema<const T extends string>(
  types: readonly T[],
  typeDescription: string,
) {
  return obj(
    {
      type: enm(types, { description: typeDescription }),
      status: enm(['True', 'False', 'Unknown'], { description: 'True, False or Unknown.' }),
      reason: str({
        description: 'A CamelCase word for machines, e.g. SyncFailed.',
        minLength: 1,
        maxLength: 1024,
        pattern: conditionReason,
      }),
      message: str({ description: 'Details for a human.', maxLength: 32768 }),
      lastTransitionTime: time({ description: 'When status last changed.' }),
      observedGeneration: opt(
        int({
          description: 'metadata.generation the condition was set for.',
          minimum: 0,
          format: 'int64',
        }),
      ),
    },
    { description: 'One aspect of the current state.' },
  );
}

/** `status.observedGeneration`, as kstatus reads it: which spec the status describes. */
export const observedGeneration = (what: string) =>
  opt(int({ description: `The metadata.generation ${what}.`, minimum: 0, format: 'int64' }));

import { enm, int, obj, opt } from './schema.js';

const limit = (description: string) => int({ description, minimum: 1, maximum: 1_000_000 });

/**
 * `spec.verification.commitPolicy`: how large one commit may be. Declared in its own file so
 * the verification block in application-spec.ts gains one line.
 */
export const commitPolicy = obj(
  {
    maxFilesChanged: opt(
      limit(
        "Most files one commit may change inside the Application's path (spec.source.path). " +
          'A merge counts its diff against its first parent. Unset: no limit.',
      ),
    ),
    maxApplicationsTouched: opt(
      limit(
        'Most Applications one commit may touch, counted over the Applications in this ' +
          'controller that follow the same repository: a commit touches one when it changes a ' +
          'file under its path. Unset: no limit.',
      ),
    ),
    action: enm(['warn', 'refuse'], {
      description:
        'What a commit over a limit does. refuse: the revision is not applied, as an unsigned ' +
        'commit is not (Ready reason LargeCommit). warn: it is applied, with a Warning Event, ' +
        'the LargeCommit condition and a ledger record. Every commit since the last applied ' +
        'revision is judged.',
      default: 'refuse',
    }),
  },
  { description: 'Small commits: limits on what one commit may change. Unset: no limits.' },
);

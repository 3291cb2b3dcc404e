import { conditionSchema, observedGeneration } from './condition.js';
import { labelSelectorProblems, labelSelectorSchema } from './label-selector.js';
import {
  ageColumn,
  messageColumn,
  parseResource,
  readyColumn,
  type PrinterColumn,
  type Resource,
  type ResourceKind,
  type ResourceParseResult,
} from './resource.js';
import { arr, duration, enm, int, obj, opt, str, type Infer } from './schema.js';
import type { ValidateOptions } from './schema-validate.js';

export const notificationPolicyKind = 'NotificationPolicy';
export const notificationPolicyPlural = 'notificationpolicies';

/** The outcomes a policy may ask for, as the controller and the hub announce them. */
export const notificationOutcomes = [
  'SyncSucceeded',
  'SyncFailed',
  'DriftDetected',
  'DriftReverted',
  'CommitRefused',
  'RolloutHalted',
  'HealthDegraded',
  'HealthRecovered',
] as const;
export type NotificationOutcome = (typeof notificationOutcomes)[number];

const secretName = str({
  description: "Name of a Secret in the policy's own namespace.",
  minLength: 1,
  maxLength: 253,
  pattern: {
    regex: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
    hint: 'a DNS subdomain: lower-case letters, digits, - and .',
  },
});

const secretKeyRef = (description: string, defaultKey: string) =>
  obj(
    {
      name: secretName,
      key: str({
        description: `The entry of the Secret; default ${defaultKey}.`,
        default: defaultKey,
        minLength: 1,
        maxLength: 253,
      }),
    },
    { description },
  );

const httpUrl = (description: string) =>
  str({
    description,
    maxLength: 2048,
    pattern: { regex: '^https?://[^\\s]+$', hint: 'an http(s):// URL' },
  });

const webhookTarget = obj(
  {
    url: httpUrl(
      "Where the JSON message is POSTed. It must start with one of the controller's " +
        '--notification-allowed-url prefixes, or nothing is sent.',
    ),
    secretRef: secretKeyRef(
      'The HMAC-SHA256 key; each request carries X-Ballast-Signature: sha256=<hex> over its ' +
        'raw body.',
      'hmacKey',
    ),
  },
  { description: 'A generic webhook: the outcome as JSON, HMAC-signed.' },
);

const slackTarget = obj(
  {
    urlSecretRef: secretKeyRef(
      'The incoming-webhook URL, read from a Secret (Slack treats the URL as the credential). ' +
        "It must start with one of the controller's --notification-allowed-url prefixes.",
      'url',
    ),
  },
  { description: 'Slack-compatible JSON ({text, blocks}) POSTed to an incoming webhook.' },
);

const commitStatusTarget = obj(
  {
    provider: enm(['github', 'gitlab', 'gitea'], {
      description: 'Which Git host API the status is POSTed to.',
    }),
    apiURL: httpUrl(
      'The API base, e.g. https://api.github.com, https://gitlab.example/api/v4 or ' +
        "https://gitea.example/api/v1. It must start with one of the controller's " +
        '--notification-allowed-url prefixes.',
    ),
    repository: str({
      description:
        'The repository on that host: owner/name (GitHub, Gitea) or the project path or id ' +
        '(GitLab).',
      minLength: 1,
      maxLength: 512,
      pattern: {
        regex: '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$',
        hint: 'owner/name, or a GitLab project path or id',
      },
    }),
    tokenSecretRef: secretKeyRef('The API token, sent as a bearer token.', 'token'),
  },
  {
    description:
      'Commit status on the synced commit (context ballast/<namespace>/<application>): pending ' +
      'while it becomes healthy, success once applied and healthy, failure when the sync ' +
      'failed, the commit was refused or health degraded.',
  },
);

const rateLimit = obj(
  {
    burst: int({
      description: 'Messages sent as they happen in one window; more are summarised.',
      default: 5,
      minimum: 1,
      maximum: 1000,
    }),
    window: duration({
      description: 'The window; at its end one message summarises what was held back.',
      default: '1m',
      min: '1s',
    }),
  },
  { description: 'How many messages one policy sends before it summarises.', default: {} },
);

export const notificationPolicySpecSchema = obj(
  {
    selector: labelSelectorSchema({
      description: "Which of the namespace's Applications (or FleetApplications) it hears.",
      what: 'Application',
    }),
    outcomes: arr(
      enm(notificationOutcomes, {
        description:
          'SyncSucceeded: a sync applied changes. SyncFailed: a pass failed. DriftDetected / ' +
          'DriftReverted: a managed object was changed by hand, and reported or reverted. ' +
          'CommitRefused: a commit was not trusted. RolloutHalted: a fleet rollout halted. ' +
          'HealthDegraded: the Application became Degraded. HealthRecovered: it became Healthy ' +
          'after a pass that left it Progressing, Degraded or Missing.',
      }),
      { description: 'Which outcomes are sent.', maxItems: 8 },
    ),
    serviceAccountName: opt(
      str({
        description:
          "The ServiceAccount of this namespace the Secrets are read as; default the controller's " +
          '--default-service-account.',
        minLength: 1,
        maxLength: 253,
      }),
    ),
    target: obj(
      {
        webhook: opt(webhookTarget),
        slack: opt(slackTarget),
        commitStatus: opt(commitStatusTarget),
      },
      {
        description: 'Where messages go: exactly one.',
        exactlyOne: ['webhook', 'slack', 'commitStatus'],
      },
    ),
    rateLimit,
  },
  { description: 'Which outcomes of which Applications are sent where.' },
);

export const notificationPolicyConditionTypes = ['Ready'] as const;

export const notificationPolicyStatusSchema = obj(
  {
    observedGeneration: observedGeneration('the conditions describe'),
    conditions: opt(
      arr(
        conditionSchema(
          notificationPolicyConditionTypes,
          'Ready: the target is allowed and messages can be sent; reason TargetNotAllowed, ' +
            'SecretUnreadable or DeliveryFailed when not.',
        ),
        { description: 'Ready, as kstatus reads it.', mapKeys: ['type'], maxItems: 8 },
      ),
    ),
  },
  { description: 'What the controller made of the policy.' },
);

export type NotificationPolicySpec = Infer<typeof notificationPolicySpecSchema>;
export type NotificationPolicyStatus = Infer<typeof notificationPolicyStatusSchema>;
export type NotificationTarget = NotificationPolicySpec['target'];
export type NotificationPolicy = Resource<
  typeof notificationPolicyKind,
  NotificationPolicySpec,
  NotificationPolicyStatus
>;

export const notificationPolicyPrinterColumns: readonly PrinterColumn[] = [
  {
    name: 'Outcomes',
    type: 'string',
    jsonPath: '.spec.outcomes',
    description: 'Which outcomes are sent.',
  },
  readyColumn,
  messageColumn,
  ageColumn,
];

export const notificationPolicyResource: ResourceKind<
  typeof notificationPolicyKind,
  NotificationPolicySpec,
  NotificationPolicyStatus
> = {
  kind: notificationPolicyKind,
  plural: notificationPolicyPlural,
  singular: 'notificationpolicy',
  shortNames: ['notify'],
  description:
    'A NotificationPolicy sends outcomes of the Applications it selects in its namespace to a ' +
    'webhook, Slack or the Git host as commit status. Its Secrets stay in its namespace.',
  scope: 'Namespaced',
  spec: notificationPolicySpecSchema,
  status: notificationPolicyStatusSchema,
  printerColumns: notificationPolicyPrinterColumns,
};

/** Parses a NotificationPolicy from untrusted input; every problem names its field path. */
export function parseNotificationPolicy(
  input: unknown,
  partial: Partial<ValidateOptions> = {},
): ResourceParseResult<NotificationPolicy> {
  return parseResource(notificationPolicyResource, input, partial, (spec) =>
    labelSelectorProblems(spec.selector, 'spec.selector'),
  );
}

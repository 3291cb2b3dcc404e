import {
  arr,
  bool,
  duration,
  enm,
  int,
  num,
  obj,
  opt,
  map,
  preserve,
  str,
  type Pattern,
} from './schema.js';
import { commitPolicy } from './commit-policy.js';
import { vaultSpec } from './application-vault.js';

/** Patterns in the subset Go's RE2 and JavaScript agree on: no lookaround, no backreferences. */
export const patterns = {
  gitUrl: {
    regex: '^((https?|ssh|file)://[^\\s]+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\\s]+)$',
    hint: 'a Git URL: https://, http://, ssh://, file:// or user@host:path',
  },
  // Every segment is ".", or any name but "..": the path cannot climb out of the repository.
  relativePath: {
    regex:
      '^([^./][^/]*|\\.[^./][^/]*|\\.\\.[^/]+|\\.)(/([^./][^/]*|\\.[^./][^/]*|\\.\\.[^/]+|\\.))*/?$',
    hint: 'a relative path inside the repository, such as apps/web (no leading /, no .. segments)',
  },
  dnsLabel: {
    regex: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
    hint: 'a DNS label: lower-case letters, digits and -, starting and ending with a letter or digit',
  },
  dnsSubdomain: {
    regex: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
    hint: 'a DNS subdomain: lower-case letters, digits, - and .',
  },
  // RFC 6901, non-empty: "~" only as ~0 or ~1. The empty pointer would hide the whole object.
  jsonPointer: {
    regex: '^(/([^~]|~[01])*)+$',
    hint: 'a JSON pointer such as /spec/replicas (~1 for "/" and ~0 for "~" inside a key)',
  },
  commitSha: { regex: '^[0-9a-f]{40}$', hint: 'a full 40-character commit SHA' },
} satisfies Record<string, Pattern>;

const secretRef = obj(
  {
    name: str({
      description: "Name of a Secret in the Application's namespace.",
      minLength: 1,
      maxLength: 253,
      pattern: patterns.dnsSubdomain,
    }),
  },
  {
    description:
      "Credentials for the repository, read from a Secret in the Application's namespace. " +
      'Keys: username and password (HTTPS basic auth); token (HTTPS, sent as the basic-auth ' +
      'password, with username if set); sshPrivateKey and knownHosts (SSH; knownHosts is ' +
      'required with a key, hosts are never trusted on first use); caBundle (PEM, extra CAs ' +
      'for HTTPS). Unset means an anonymous fetch.',
  },
);

const helm = obj(
  {
    valuesFiles: opt(
      arr(str({ description: 'A values file path.', minLength: 1 }), {
        description:
          "Values files relative to the repository root, applied in order after the chart's own values.",
        maxItems: 64,
      }),
    ),
    values: opt(
      preserve({
        description: 'Inline values, applied last. Passed to helm on stdin, never written to disk.',
      }),
    ),
    releaseName: opt(
      str({
        description: "`.Release.Name`; unset means the Application's name.",
        maxLength: 53,
        pattern: patterns.dnsLabel,
      }),
    ),
  },
  { description: 'Render the path as a Helm chart with `helm template`.' },
);

const source = obj(
  {
    repoURL: str({ description: 'The Git repository.', pattern: patterns.gitUrl, maxLength: 2048 }),
    targetRevision: str({
      description:
        'Branch, tag, semver range (e.g. ">=1.2.0 <2") or full commit SHA to deploy. ' +
        'The revision is resolved to a commit on every fetch.',
      default: 'main',
      minLength: 1,
      maxLength: 255,
    }),
    path: str({
      description: 'Directory inside the repository to render.',
      default: '.',
      maxLength: 4096,
      pattern: patterns.relativePath,
    }),
    secretRef: opt(secretRef),
    insecureAllowHttpCredentials: opt(
      bool({
        description:
          "Send secretRef's username, password or token over a plain http:// repoURL, where " +
          'anyone on the network path can read them. Unset or false: such a fetch is refused.',
      }),
    ),
    kustomize: opt(
      obj(
        {},
        {
          description:
            'Render the path with `kustomize build` (write `kustomize: {}`). With neither ' +
            'kustomize nor helm set, the renderer is picked by the files in the path: ' +
            'kustomization.yaml for kustomize, Chart.yaml for Helm, else plain YAML.',
        },
      ),
    ),
    helm: opt(helm),
  },
  { description: 'Where the manifests come from.', atMostOne: ['kustomize', 'helm'] },
);

/** Shared with a FleetApplication's template, whose destination has no cluster. */
export const destinationNamespace = str({
  description:
    'Namespace given to namespaced objects that name none; also the Helm release namespace.',
  minLength: 1,
  maxLength: 63,
  pattern: patterns.dnsLabel,
});

const destination = obj(
  {
    namespace: destinationNamespace,
    cluster: opt(
      str({
        description:
          'Reserved for fleet placement. Objects go to the cluster the controller runs in; ' +
          'the controller refuses to sync an Application that sets this.',
        minLength: 1,
      }),
    ),
  },
  { description: 'Where the rendered objects go.' },
);

const retry = obj(
  {
    limit: int({
      description:
        'Retries of a failed sync of one revision before the Application is Stalled; a new ' +
        'revision, a spec change or a refresh request starts over. 0 retries only at the next interval.',
      default: 5,
      minimum: 0,
    }),
    backoff: obj(
      {
        duration: duration({ description: 'Delay before the first retry.', default: '5s' }),
        factor: num({
          description: 'Each delay is the previous one times this.',
          default: 2,
          minimum: 1,
        }),
        maxDuration: duration({ description: 'Upper bound of one delay.', default: '3m' }),
      },
      { description: 'Delays between retries, growing exponentially.', default: {} },
    ),
  },
  { description: 'How failed syncs are retried.', default: {} },
);

const syncOptions = obj(
  {
    createNamespace: bool({
      description: 'Create the destination namespace when it does not exist.',
      default: false,
    }),
    adopt: bool({
      description:
        "Take objects that carry another Application's tracking label; normally they are refused.",
      default: false,
    }),
    forceRecreate: bool({
      description: 'Delete and recreate objects whose immutable fields changed.',
      default: false,
    }),
  },
  { description: 'How objects are applied.', default: {} },
);

const syncPolicy = obj(
  {
    automated: opt(
      obj(
        {
          prune: bool({
            description:
              'Delete objects that left Git (only those carrying our tracking label, and not ' +
              'annotated ballast.dev/prune: disabled).',
            default: false,
          }),
          selfHeal: bool({
            description:
              'Revert changes made in the cluster, as `drift` says. Off: drift is only reported.',
            default: true,
          }),
        },
        {
          description:
            'Sync new revisions without being asked. Unset: the controller only reports ' +
            'OutOfSync, and a sync is requested with `ballast sync` or the ballast.dev/refresh annotation.',
        },
      ),
    ),
    drift: enm(['heal', 'warn', 'ignore'], {
      description:
        'What to do when a managed object is changed in the cluster: heal reverts it (when ' +
        'automated with selfHeal; else it is reported as warn), warn reports it in status.drift, ' +
        'the Drifted condition and an Event, ignore does nothing.',
      default: 'heal',
    }),
    interval: duration({
      description:
        'How often to fetch the source and compare, besides webhooks and watches. The ' +
        'controller adds jitter so Applications with one interval do not run in lockstep.',
      default: '3m',
      min: '1s',
    }),
    retry,
    syncOptions,
    pruneOnDelete: bool({
      description:
        'Delete the managed objects when the Application is deleted. Off: they are left running.',
      default: false,
    }),
  },
  { description: 'When and how to sync.', default: {} },
);

/** Matches what parseIgnoreRules (ignore-rules.ts) accepts; parseApplication runs both. */
const ignoreRule = obj(
  {
    group: str({ description: 'API group; "" is the core group, "*" any group.', default: '' }),
    kind: str({ description: 'Kind, e.g. Deployment, or "*" for any.', minLength: 1 }),
    name: opt(str({ description: 'Only the object with this name.' })),
    namespace: opt(str({ description: 'Only objects in this namespace.' })),
    jsonPointers: opt(
      arr(str({ description: 'A JSON pointer.', pattern: patterns.jsonPointer }), {
        description: 'Fields hidden from the comparison, as RFC 6901 pointers.',
        maxItems: 64,
      }),
    ),
    managedFieldsManagers: opt(
      arr(str({ description: 'A field manager name.', minLength: 1 }), {
        description:
          'Field managers (metadata.managedFields[].manager) whose fields are not ours to judge, ' +
          'e.g. kube-controller-manager or an autoscaler.',
        maxItems: 64,
      }),
    ),
  },
  {
    description: 'A difference that is not drift.',
    exactlyOne: ['jsonPointers', 'managedFieldsManagers'],
  },
);

/** A Secret in the Application's namespace, by name. */
const localSecret = (description: string) =>
  obj(
    {
      name: str({
        description: "Name of a Secret in the Application's namespace.",
        minLength: 1,
        maxLength: 253,
        pattern: patterns.dnsSubdomain,
      }),
    },
    { description },
  );

const verification = obj(
  {
    mode: enm(['none', 'head', 'all'], {
      description:
        'none: signatures are not checked. head: the target commit (or tag) must be signed by a ' +
        'trusted key. all: every commit since the last applied revision must be, merges included.',
      default: 'none',
    }),
    secretRef: opt(
      localSecret(
        'Trusted keys: entries named *.asc hold armored OpenPGP public keys, entries named ' +
          '*.pub hold SSH keys in allowed_signers form ("principal key-type key"). Required ' +
          'unless mode is none.',
      ),
    ),
    fastForwardOnly: bool({
      description:
        'Refuse a target that does not descend from the last applied revision: a replayed old ' +
        'commit or a force-push that drops history. A deliberate rollback goes through ' +
        '`ballast app rollback`.',
      default: true,
    }),
    commitPolicy: opt(commitPolicy),
  },
  { description: 'Which commits may be applied.', default: {} },
);

const decryption = obj(
  {
    provider: enm(['sops'], { description: 'The encryption format; only sops.', default: 'sops' }),
    secretRef: opt(
      localSecret(
        'Decryption keys: entries named *.agekey hold age identities, entries named *.asc ' +
          'armored OpenPGP private keys. Unset: the controller-wide keys.',
      ),
    ),
  },
  {
    description:
      'Decrypt SOPS-encrypted files in memory while rendering. The MAC is always checked; ' +
      'plaintext never touches disk.',
  },
);

const rollback = obj(
  {
    revision: str({
      description: 'The full commit SHA to deploy.',
      pattern: patterns.commitSha,
    }),
    historyId: opt(int({ description: 'The status.history entry rolled back to.', minimum: 0 })),
    reason: str({ description: 'Why, for the audit ledger.', default: '' }),
    requestedBy: str({ description: 'Who asked, as the apiserver authenticated them.' }),
    requestedAt: str({ description: 'When it was asked, RFC 3339.' }),
  },
  {
    description:
      'Set by `ballast app rollback`: deploy this older revision instead of targetRevision and ' +
      'stop following new commits until `ballast app resume` clears it.',
  },
);

/** Flux's postBuild.substitute names: `${name}` and `${name:=default}` refer to them. */
export const variableNameRegex = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

const postBuild = obj(
  {
    substitute: opt(
      map(str({ description: 'The value, put in as one string.' }), {
        description:
          'Variables by name ([_a-zA-Z][_a-zA-Z0-9]*). ${name} in a string value of a rendered ' +
          'object, or of spec.source.helm.values, becomes the value; ${name:=default} gives a ' +
          'default, and $${name} a literal ${name}. Keys are never changed, numbers stay strings, ' +
          'and an object annotated ballast.dev/substitute: disabled is left as rendered. An ' +
          'unset variable without a default stalls the Application (reason SubstitutionFailed) ' +
          'with a message naming the file, the object, the field and the variable.',
        maxProperties: 512,
      }),
    ),
  },
  {
    description:
      "What to do with the rendered objects before they are applied, after Flux's postBuild. " +
      "A fleet agent sets it to its cluster's variables.",
  },
);

/**
 * The fields of an Application's spec, exported so a FleetApplication's template reuses their
 * declarations (and so their validation, defaults and documentation) instead of restating them.
 */
export const applicationSpecFields = {
  source,
  destination,
  serviceAccountName: opt(
    str({
      description:
        "A ServiceAccount in the Application's namespace. Every request made for the " +
        'Application (dry run, apply, prune, healing, health reads, namespace creation) ' +
        'impersonates it, so the Application can do only what RBAC lets that account do. ' +
        "Unset: the controller's --default-service-account, or, without that flag, the " +
        "controller's own rights.",
      minLength: 1,
      maxLength: 253,
      pattern: patterns.dnsSubdomain,
    }),
  ),
  syncPolicy,
  ignoreDifferences: opt(
    arr(ignoreRule, {
      description: 'Differences to leave alone, e.g. replicas owned by an autoscaler.',
      maxItems: 100,
    }),
  ),
  suspend: bool({
    description: 'Stop reconciling: no fetch, no sync, no healing. Status keeps its last values.',
    default: false,
  }),
  verification,
  decryption: opt(decryption),
  vault: opt(vaultSpec),
  rollback: opt(rollback),
  postBuild: opt(postBuild),
};

export const applicationSpecSchema = obj(applicationSpecFields, {
  description: 'What to deploy, where, and how to keep it in sync.',
});

import { duration, enm, obj, opt, str } from './schema.js';

/** Shared by the fields that read one entry of a Secret in the Application's own namespace. */
const secretKeyRef = (description: string, defaultKey: string) =>
  obj(
    {
      name: str({
        description: "Name of a Secret in the Application's namespace.",
        minLength: 1,
        maxLength: 253,
        pattern: {
          regex: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
          hint: 'a DNS subdomain: lower-case letters, digits, - and .',
        },
      }),
      key: str({
        description: `The entry of the Secret; default ${defaultKey}.`,
        default: defaultKey,
        minLength: 1,
        maxLength: 253,
      }),
    },
    { description },
  );

/** A Vault path segment list such as `kubernetes` or `k8s/prod`: no leading or trailing /. */
const mountPathPattern = {
  // A segment never starts with a dot, so none is `.` or `..`, which a URL would resolve away.
  regex: '^[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$',
  hint: 'a Vault mount path such as kubernetes or k8s/prod (no leading or trailing /, no . or .. segments)',
};

const kubernetesAuth = obj(
  {
    role: str({
      description: "The Vault role bound to the Application's ServiceAccount.",
      minLength: 1,
      maxLength: 253,
    }),
    mountPath: str({
      description: 'Where the kubernetes auth method is mounted: /v1/auth/<mountPath>/login.',
      default: 'kubernetes',
      maxLength: 253,
      pattern: mountPathPattern,
    }),
    audience: str({
      description:
        'Audience of the ServiceAccount token, which the Vault role must name (its audience ' +
        "setting). Not the apiserver's, so the token Vault receives is no use against the " +
        'apiserver.',
      default: 'vault',
      minLength: 1,
      maxLength: 253,
    }),
  },
  {
    description:
      "Log in with a short-lived token of the Application's own ServiceAccount (a TokenRequest " +
      "for spec.serviceAccountName, or the controller's --default-service-account).",
  },
);

const auth = obj(
  {
    kubernetes: opt(kubernetesAuth),
    token: opt(
      secretKeyRef("Use a Vault token read from a Secret in the Application's namespace.", 'token'),
    ),
  },
  { description: 'How to authenticate to Vault.', exactlyOne: ['kubernetes', 'token'] },
);

/**
 * `spec.vault`: where `<vault:PATH#KEY[#VERSION]>` placeholders in the rendered Secrets are read
 * from. Declared apart from application-spec.ts, which only names it.
 */
export const vaultSpec = obj(
  {
    address: opt(
      str({
        description:
          "Vault's address, e.g. https://vault.example:8200; unset: the controller's " +
          '--vault-address.',
        pattern: { regex: '^https?://[^\\s/]+/?$', hint: 'http(s)://host[:port]' },
        maxLength: 2048,
      }),
    ),
    caBundle: opt(
      secretKeyRef(
        'PEM CA certificates Vault is checked against, read from a Secret in the ' +
          "Application's namespace; unset: the system's.",
        'ca.crt',
      ),
    ),
    mount: str({
      description:
        'The KV version 2 mount a short placeholder path is read from: <vault:payments/db#k> ' +
        'reads <mount>/data/payments/db. A path starting with <mount>/ is taken as written.',
      default: 'secret',
      maxLength: 253,
      pattern: mountPathPattern,
    }),
    kvVersion: enm(['1', '2'], {
      description:
        'The KV engine version of the mount: 2 reads <mount>/data/<path> and allows #version; ' +
        '1 reads <mount>/<path>.',
      default: '2',
    }),
    auth,
    refreshInterval: duration({
      description:
        'How often the values in use are read again; a changed value is applied without a ' +
        'commit and recorded in the ledger as a rotation.',
      default: '5m',
      min: '1s',
    }),
  },
  {
    description:
      "Resolve <vault:PATH#KEY[#VERSION]> placeholders in rendered Secrets' data and " +
      'stringData, in memory, after rendering. A placeholder anywhere else is refused.',
  },
);

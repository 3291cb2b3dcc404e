import type { KubeObject } from '../../api/object.js';
import { registrationLabel } from './names.js';

const admission = 'admissionregistration.k8s.io/v1';
const labels = { 'app.kubernetes.io/name': 'ballast', 'app.kubernetes.io/component': 'fleet' };
const rbacResources = ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'];

/** The names of the admission policies guarding the registrar's account of `fleetNamespace`. */
export function registrarGuardNames(fleetNamespace: string): {
  csr: string;
  rbacLabel: string;
  rbacSubjects: string;
} {
  return {
    csr: `ballast-hub-creates-no-csr.${fleetNamespace}`,
    rbacLabel: `ballast-hub-rbac-of-clusters-only.${fleetNamespace}`,
    rbacSubjects: `ballast-hub-binds-cluster-users-only.${fleetNamespace}`,
  };
}

/** One admission policy for requests made by `account`, and its binding. */
function policy(
  name: string,
  account: string,
  match: { apiGroup: string; resources: string[]; operations: string[] },
  validations: { expression: string; message: string }[],
): KubeObject[] {
  return [
    {
      apiVersion: admission,
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name, labels },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: [match.apiGroup],
              apiVersions: ['*'],
              operations: match.operations,
              resources: match.resources,
            },
          ],
        },
        matchConditions: [
          {
            name: 'the-registrar-account',
            expression: `request.userInfo.username == ${JSON.stringify(account)}`,
          },
        ],
        validations: validations.map((v) => ({ ...v, reason: 'Forbidden' })),
      },
    },
    {
      apiVersion: admission,
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name, labels },
      spec: { policyName: name, validationActions: ['Deny'] },
    },
  ];
}

/**
 * Admission policies on `account`, the user the registrar runs as. RBAC alone cannot bound it:
 * to grant the agents their rights without `bind` or `escalate` it must hold them, among them
 * creating CSRs, and it approves client certificates. Holding both, it could mint a certificate
 * for any user (a controller's, an admin group's); with RBAC writes on anything it could hand
 * CSR create to an identity it can act as (anonymous, through a system role it edits). So:
 * it may not create CSRs; it may create, change and delete only RBAC objects carrying the
 * registration label (never one that lacked it); and its bindings name cluster users only.
 */
export function registrarGuardPolicy(fleetNamespace: string, account: string): KubeObject[] {
  const names = registrarGuardNames(fleetNamespace);
  const rbacGroup = 'rbac.authorization.k8s.io';
  const labelled = (o: string): string =>
    `has(${o}.metadata.labels) && ${JSON.stringify(registrationLabel)} in ${o}.metadata.labels`;
  return [
    ...policy(
      names.csr,
      account,
      {
        apiGroup: 'certificates.k8s.io',
        resources: ['certificatesigningrequests'],
        operations: ['CREATE'],
      },
      [
        {
          expression: 'false',
          message: `${account} approves client certificates, so it may not request any: it could approve its own for any user`,
        },
      ],
    ),
    ...policy(
      names.rbacLabel,
      account,
      { apiGroup: rbacGroup, resources: rbacResources, operations: ['CREATE', 'UPDATE', 'DELETE'] },
      [
        {
          expression: `(request.operation == 'CREATE' || (${labelled('oldObject')})) && (request.operation == 'DELETE' || (${labelled('object')}))`,
          message: `${account} may write only the RBAC of registered clusters (label ${registrationLabel})`,
        },
      ],
    ),
    ...policy(
      names.rbacSubjects,
      account,
      {
        apiGroup: rbacGroup,
        resources: ['rolebindings', 'clusterrolebindings'],
        operations: ['CREATE', 'UPDATE'],
      },
      [
        {
          expression:
            "!has(object.subjects) || object.subjects.all(s, s.kind == 'User' && s.name.startsWith('ballast:cluster:'))",
          message: `${account} may bind only registered clusters' users (ballast:cluster:...)`,
        },
      ],
    ),
  ];
}

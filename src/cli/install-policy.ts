import { applicationGroup, applicationPlural } from '../api/application.js';
import type { KubeObject } from '../api/object.js';
import { installLabels } from './install-rbac.js';

/** The admission policy that makes the audit ledger's actor the apiserver's, not the client's. */
export const requestedByPolicy = 'ballast-requested-by';

/**
 * CEL over an Application write. The actor the ledger records comes from the
 * `ballast.dev/requested-by` annotation and `spec.rollback.requestedBy`; a client writes both,
 * so the apiserver must check them against whom it authenticated. A value carried over
 * unchanged is allowed, unless the write also asks for something that the ledger will
 * attribute to it (a sync, a suspend or resume).
 */
const variables = [
  {
    name: 'by',
    expression:
      "has(object.metadata.annotations) && 'ballast.dev/requested-by' in object.metadata.annotations" +
      " ? object.metadata.annotations['ballast.dev/requested-by'] : ''",
  },
  {
    name: 'oldBy',
    expression:
      "oldObject != null && has(oldObject.metadata.annotations) && 'ballast.dev/requested-by' in oldObject.metadata.annotations" +
      " ? oldObject.metadata.annotations['ballast.dev/requested-by'] : ''",
  },
  {
    name: 'sync',
    expression:
      "has(object.metadata.annotations) && 'ballast.dev/sync' in object.metadata.annotations" +
      " ? object.metadata.annotations['ballast.dev/sync'] : ''",
  },
  {
    name: 'oldSync',
    expression:
      "oldObject != null && has(oldObject.metadata.annotations) && 'ballast.dev/sync' in oldObject.metadata.annotations" +
      " ? oldObject.metadata.annotations['ballast.dev/sync'] : ''",
  },
  {
    name: 'suspendChanged',
    expression:
      '(has(object.spec.suspend) && object.spec.suspend) != ' +
      '(oldObject != null && has(oldObject.spec.suspend) && oldObject.spec.suspend)',
  },
  {
    name: 'rollbackKept',
    expression:
      'oldObject != null && has(oldObject.spec.rollback) && has(object.spec.rollback) && ' +
      'oldObject.spec.rollback == object.spec.rollback',
  },
];

const validations = [
  {
    expression:
      "variables.by == '' || variables.by == request.userInfo.username || " +
      '(variables.by == variables.oldBy && variables.sync == variables.oldSync && !variables.suspendChanged)',
    messageExpression:
      "'metadata.annotations[ballast.dev/requested-by] must name whoever makes this request (' + " +
      "request.userInfo.username + '), or be left out; the audit ledger records it as the actor'",
    reason: 'Forbidden',
  },
  {
    expression:
      '!has(object.spec.rollback) || variables.rollbackKept || ' +
      '(has(object.spec.rollback.requestedBy) && object.spec.rollback.requestedBy == request.userInfo.username)',
    messageExpression:
      "'spec.rollback.requestedBy must name whoever makes this request (' + " +
      "request.userInfo.username + '); `ballast app rollback` sets it'",
    reason: 'Forbidden',
  },
];

/**
 * A ValidatingAdmissionPolicy (CEL, GA since Kubernetes 1.30) and its binding. The controller
 * records an actor as verified only while both exist.
 */
export function requestedByPolicyManifests(): KubeObject[] {
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: requestedByPolicy, labels: installLabels },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: [applicationGroup],
              apiVersions: ['*'],
              operations: ['CREATE', 'UPDATE'],
              resources: [applicationPlural],
            },
          ],
        },
        variables,
        validations,
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: requestedByPolicy, labels: installLabels },
      spec: { policyName: requestedByPolicy, validationActions: ['Deny'] },
    },
  ];
}

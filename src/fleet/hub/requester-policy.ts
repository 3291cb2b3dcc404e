import type { KubeObject } from '../../api/object.js';
import { ballastGroup } from '../../api/resource.js';
import { rolloutAnnotations } from '../names.js';

/** The admission policy (and binding) holding a rollout action's requester to the real user. */
export const fleetRequestedByPolicy = 'ballast-fleet-requested-by';

const annotation = (obj: string, key: string): string =>
  `${obj} != null && has(${obj}.metadata.annotations) && '${key}' in ${obj}.metadata.annotations` +
  ` ? ${obj}.metadata.annotations['${key}'] : ''`;

const paused = (obj: string): string =>
  `${obj} != null && has(${obj}.spec.rollout) && has(${obj}.spec.rollout.paused) && ${obj}.spec.rollout.paused`;

/**
 * CEL over a FleetApplication write. The hub's ledger names whoever the
 * `ballast.dev/requested-by` annotation and `spec.rollback.requestedBy` say asked for a pause,
 * resume, promote or undo; a client writes both, so the apiserver checks them against whom it
 * authenticated. A name carried over unchanged is allowed unless the write also asks for one
 * of those actions.
 */
const variables = [
  { name: 'by', expression: annotation('object', rolloutAnnotations.requestedBy) },
  { name: 'oldBy', expression: annotation('oldObject', rolloutAnnotations.requestedBy) },
  { name: 'promote', expression: annotation('object', rolloutAnnotations.promote) },
  { name: 'oldPromote', expression: annotation('oldObject', rolloutAnnotations.promote) },
  { name: 'pausedChanged', expression: `(${paused('object')}) != (${paused('oldObject')})` },
  {
    name: 'rollbackDropped',
    expression: 'oldObject != null && has(oldObject.spec.rollback) && !has(object.spec.rollback)',
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
      '(variables.by == variables.oldBy && variables.promote == variables.oldPromote && ' +
      '!variables.pausedChanged && !variables.rollbackDropped)',
    messageExpression:
      `'metadata.annotations[${rolloutAnnotations.requestedBy}] must name whoever makes this request (' + ` +
      "request.userInfo.username + '), or be left out; the audit ledger of the hub records it as the actor'",
    reason: 'Forbidden',
  },
  {
    expression:
      '!has(object.spec.rollback) || variables.rollbackKept || ' +
      '(has(object.spec.rollback.requestedBy) && object.spec.rollback.requestedBy == request.userInfo.username)',
    messageExpression:
      "'spec.rollback.requestedBy must name whoever makes this request (' + " +
      "request.userInfo.username + '); `ballast fleet rollout undo` sets it'",
    reason: 'Forbidden',
  },
];

/**
 * A ValidatingAdmissionPolicy and its binding, shipped by `ballast install --hub`. The hub
 * records a requester as verified only while both exist.
 */
export function fleetRequestedByManifests(labels: Record<string, string>): KubeObject[] {
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: fleetRequestedByPolicy, labels },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: [ballastGroup],
              apiVersions: ['*'],
              operations: ['CREATE', 'UPDATE'],
              resources: ['fleetapplications'],
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
      metadata: { name: fleetRequestedByPolicy, labels },
      spec: { policyName: fleetRequestedByPolicy, validationActions: ['Deny'] },
    },
  ];
}

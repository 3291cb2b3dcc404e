import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/object.js';
import { FieldOwners } from './owner.js';

const live: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'shop',
    annotations: { team: 'a' },
    managedFields: [
      {
        manager: 'ballast',
        operation: 'Apply',
        time: '2026-01-01T00:00:00Z',
        fieldsV1: {
          'f:metadata': { 'f:annotations': { 'f:team': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:template': {
              'f:spec': {
                'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } },
              },
            },
          },
        },
      },
      {
        manager: 'kubectl',
        operation: 'Update',
        subresource: 'scale',
        time: '2026-01-02T00:00:00Z',
        fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      },
      {
        manager: 'sidecar-injector',
        operation: 'Update',
        time: '2026-01-03T00:00:00Z',
        fieldsV1: {
          'f:spec': {
            'f:template': {
              'f:spec': { 'f:containers': { 'k:{"name":"proxy"}': { 'f:image': {} } } },
            },
          },
        },
      },
    ],
  },
  spec: {
    replicas: 3,
    template: {
      spec: {
        containers: [
          { name: 'web', image: 'web:2' },
          { name: 'proxy', image: 'proxy:1' },
        ],
      },
    },
  },
};

describe('which field manager owns a field', () => {
  const owners = new FieldOwners(live);

  it('names the newest writer of a shared field: kubectl scale after Ballast’s apply', () => {
    expect(owners.ownerOf(['spec', 'replicas'])).toBe('kubectl');
  });

  it('finds list items by their key fields, so each container names its own manager', () => {
    expect(owners.ownerOf(['spec', 'template', 'spec', 'containers', '0', 'image'])).toBe(
      'ballast',
    );
    expect(owners.ownerOf(['spec', 'template', 'spec', 'containers', '1', 'image'])).toBe(
      'sidecar-injector',
    );
  });

  it('names no manager for a field nobody owns, or one that is not live', () => {
    expect(owners.ownerOf(['metadata', 'annotations', 'team'])).toBe('ballast');
    expect(owners.ownerOf(['metadata', 'labels', 'x'])).toBeUndefined();
    expect(
      owners.ownerOf(['spec', 'template', 'spec', 'containers', '7', 'image']),
    ).toBeUndefined();
  });
});

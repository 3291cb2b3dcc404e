import { describe, expect, it } from 'vitest';
import { table } from './table.js';

describe('table', () => {
  it('pads columns like kubectl get', () => {
    expect(
      table(
        ['NAME', 'STATUS'],
        [
          ['a', 'Running'],
          ['longer-name', 'Exited'],
        ],
      ),
    ).toBe(['NAME          STATUS', 'a             Running', 'longer-name   Exited'].join('\n'));
  });
});

import { describe, expect, it } from 'vitest';
import { removeAt } from './pointer.js';

describe('removeAt', () => {
  it('removes a list item by index and the containers it leaves empty', () => {
    const value = { spec: { args: ['--a'] }, keep: true };
    expect(removeAt(value, ['spec', 'args', '0'])).toBe(true);
    expect(value).toEqual({ keep: true });
    expect(removeAt(value, ['spec', 'args', '0'])).toBe(false);
    expect(removeAt({ list: [1] }, ['list', '01'])).toBe(false);
  });
});

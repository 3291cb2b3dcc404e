import { describe, expect, it } from 'vitest';
import { ApiError, queryString } from './client.js';

describe('query strings of API requests', () => {
  it('leaves out unset and empty values and escapes the rest', () => {
    expect(
      queryString({ namespace: 'team a', sync: undefined, q: '', offset: 0, limit: 100 }),
    ).toBe('?namespace=team+a&offset=0&limit=100');
  });

  it('is empty when nothing is set', () => {
    expect(queryString({ app: undefined })).toBe('');
  });
});

describe('API errors', () => {
  it("carry the apiserver's status, message and reason for the alert", () => {
    const err = new ApiError({ status: 403, message: 'cannot patch', reason: 'Forbidden' });
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ status: 403, message: 'cannot patch', reason: 'Forbidden' });
  });
});

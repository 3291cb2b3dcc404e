import { describe, expect, it } from 'vitest';
import { ApiError, queryString, streamUrl } from './client.js';

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

describe('the live stream a view opens', () => {
  it('watches one namespace for a view about one namespace', () => {
    expect(streamUrl('team-a')).toBe('/api/stream?namespace=team-a');
  });

  it('watches every namespace otherwise', () => {
    expect(streamUrl(undefined)).toBe('/api/stream');
    expect(streamUrl('')).toBe('/api/stream');
  });
});

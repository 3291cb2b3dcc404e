import { describe, expect, it } from 'vitest';
import { isAlive, parseStat } from './proc.js';

describe('parseStat', () => {
  it('reads ppid and state even when the command name holds spaces and parentheses', () => {
    expect(parseStat('123 (sshd: root (x)) S 45 123 123 0 -1')).toEqual({ ppid: 45, state: 'S' });
    expect(parseStat('garbage')).toBeUndefined();
  });
});

describe('isAlive', () => {
  it('sees this process and not a pid that cannot exist', () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(2 ** 30)).toBe(false);
  });
});

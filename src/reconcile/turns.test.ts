import { describe, expect, it } from 'vitest';
import { KeyedTurns } from './turns.js';

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

/** A task that notes when it starts and ends, with a wait between. */
const logged = (log: string[]) => (name: string) => async (): Promise<void> => {
  log.push(`${name} start`);
  await tick();
  log.push(`${name} end`);
};

describe('KeyedTurns', () => {
  it('runs the tasks of one key one after another, in the order they asked', async () => {
    const turns = new KeyedTurns();
    const log: string[] = [];
    const task = logged(log);
    await Promise.all([turns.run('a', task('one')), turns.run('a', task('two'))]);
    expect(log).toEqual(['one start', 'one end', 'two start', 'two end']);
  });

  it('lets different keys run at the same time', async () => {
    const turns = new KeyedTurns();
    const log: string[] = [];
    const task = logged(log);
    await Promise.all([turns.run('a', task('a')), turns.run('b', task('b'))]);
    expect(log.slice(0, 2)).toEqual(['a start', 'b start']);
  });

  it('gives the next task its turn after a failure, and forgets idle keys', async () => {
    const turns = new KeyedTurns();
    const failed = turns.run('a', () => Promise.reject(new Error('boom')));
    const next = turns.run('a', () => Promise.resolve('ran'));
    await expect(failed).rejects.toThrow('boom');
    expect(await next).toBe('ran');
    await tick();
    expect(turns.size()).toBe(0);
  });
});

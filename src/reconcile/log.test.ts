import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logFnOf, parseLogLevel, reconcileLogger } from './log.js';

/** A logger writing into an array of parsed JSON lines. */
function capture(level: Parameters<typeof parseLogLevel>[0] = 'info') {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const parsed = parseLogLevel(level);
  if (parsed.kind !== 'ok') throw new Error(parsed.problem);
  return { lines, logger: createLogger({ level: parsed.level, destination }) };
}

describe('controller logs', () => {
  it('writes one JSON object per line with an ISO time, a level name and msg', () => {
    const { lines, logger } = capture();
    logFnOf(logger)({ port: 8080 }, 'controller started');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'controller started', port: 8080 });
    expect(String(lines[0]?.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('logs a line with an err field as a warning', () => {
    const { lines, logger } = capture();
    logFnOf(logger)({ err: 'connection refused' }, 'listing Applications failed');
    expect(lines[0]?.level).toBe('warn');
  });

  it('binds reconcileId and key to every line of a reconcile, once each', () => {
    const { lines, logger } = capture();
    const { log } = reconcileLogger(logger, { reconcileId: 'abcd1234', key: 'ns/web' });
    log({ key: 'ns/web', reconcileId: 'abcd1234', revision: 'f00' }, 'reconciled');
    log({ changed: 2 }, 'applied');
    expect(lines.map((l) => [l.reconcileId, l.key, l.msg])).toEqual([
      ['abcd1234', 'ns/web', 'reconciled'],
      ['abcd1234', 'ns/web', 'applied'],
    ]);
  });

  it('never writes a token, password or secret value, however deep', () => {
    const { lines, logger } = capture();
    logFnOf(logger)(
      { token: 'tok_1', auth: { password: 'pw', token: 'tok_2' }, secret: 's3' },
      'remote',
    );
    const text = JSON.stringify(lines);
    for (const v of ['tok_1', 'tok_2', 'pw', 's3']) expect(text).not.toContain(`"${v}"`);
  });

  it('drops lines below the level, and parses --log-level', () => {
    const { lines, logger } = capture('warn');
    logger.info('hidden');
    logger.error('shown');
    expect(lines.map((l) => l.msg)).toEqual(['shown']);
    expect(parseLogLevel('DEBUG')).toEqual({ kind: 'ok', level: 'debug' });
    expect(parseLogLevel('loud').kind).toBe('invalid');
  });
});

import { describe, expect, it } from 'vitest';
import { LineSplitter, LineTooLongError } from './watch-lines.js';

const feed = (splitter: LineSplitter, chunks: Buffer[]): string[] => [
  ...chunks.flatMap((c) => splitter.push(c)),
  ...splitter.end(),
];

describe('LineSplitter', () => {
  const events = [
    '{"type":"ADDED","object":{"metadata":{"name":"a"}}}',
    '{"type":"MODIFIED","object":{"metadata":{"name":"b","annotations":{"x":"ü€𝄞"}}}}',
    '{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}}',
  ];
  const stream = Buffer.from(events.join('\n') + '\n', 'utf8');

  it('yields each line whole wherever TCP cut the stream, even inside a UTF-8 character', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const lines = feed(new LineSplitter(1_000), [stream.subarray(0, cut), stream.subarray(cut)]);
      expect(lines).toEqual(events);
    }
  });

  it('yields each line whole from one-byte chunks', () => {
    const bytes = [...stream].map((b) => Buffer.from([b]));
    expect(feed(new LineSplitter(1_000), bytes)).toEqual(events);
  });

  it('yields several lines from one chunk, and skips blank lines and carriage returns', () => {
    const s = new LineSplitter(1_000);
    expect(s.push(Buffer.from('a\r\n\nb\nc'))).toEqual(['a', 'b']);
    expect(s.end()).toEqual(['c']);
  });

  it('fails on a line longer than its bound instead of buffering without end', () => {
    const s = new LineSplitter(10);
    expect(s.push(Buffer.from('12345'))).toEqual([]);
    expect(() => s.push(Buffer.from('678901'))).toThrow(LineTooLongError);
  });
});

import { StringDecoder } from 'node:string_decoder';

/** One line of a stream outgrew the bound: the peer is not speaking newline-delimited JSON. */
export class LineTooLongError extends Error {
  override readonly name = 'LineTooLongError';
  constructor(readonly maxChars: number) {
    super(`watch stream: a line exceeded ${maxChars} characters without a newline`);
  }
}

/**
 * Splits a byte stream into lines, however TCP cut it: a chunk may end mid-line or even
 * mid-character (UTF-8), so both a partial line and a partial code point are carried over.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  // Pieces of the unfinished line, joined once complete: re-scanning a growing string for
  // each chunk would be quadratic in the size of a large object.
  private pieces: string[] = [];
  private pending = 0;

  constructor(private readonly maxLineChars: number) {}

  /** The lines this chunk completes (blank lines dropped). */
  push(chunk: Buffer): string[] {
    let text = this.decoder.write(chunk);
    const lines: string[] = [];
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
      this.pieces.push(text.slice(0, nl));
      this.take(lines);
      text = text.slice(nl + 1);
    }
    if (text !== '') {
      this.pieces.push(text);
      this.pending += text.length;
      if (this.pending > this.maxLineChars) throw new LineTooLongError(this.maxLineChars);
    }
    return lines;
  }

  /** What is left when the stream ends: a last line without a trailing newline. */
  end(): string[] {
    const rest = this.decoder.end();
    if (rest !== '') this.pieces.push(rest);
    const lines: string[] = [];
    this.take(lines);
    return lines;
  }

  private take(into: string[]): void {
    const line = this.pieces.join('').trim();
    this.pieces = [];
    this.pending = 0;
    if (line !== '') into.push(line);
  }
}

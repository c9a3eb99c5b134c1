import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Transform, Writable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";

/** Passes bytes through unchanged and computes their SHA-256 and length, so a file is measured as it is written or read. */
export class Sha256Meter extends Transform {
  private readonly hash: Hash = createHash("sha256");
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }

  /** The hex digest of everything that passed; call once, after the stream ended. */
  hex(): string {
    return this.hash.digest("hex");
  }
}

/**
 * Passes COPY text-format bytes through unchanged and counts the rows: each
 * row ends with a newline, and newlines inside values are escaped as `\n`.
 */
export class CopyRowCounter extends Transform {
  rows = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) this.rows++;
    done(null, chunk);
  }
}

/**
 * Counts the records of an RFC 4180 CSV stream as it passes: a line break
 * ends a record unless it is inside a quoted field (doubled quotes toggle
 * twice, so they need no special case).
 */
export class CsvRecordCounter extends Transform {
  records = 0;
  private quoted = false;
  private pending = false;

  /**
   * An indexed loop over locals: for…of over the Buffer ran about 3.5×
   * slower, and the archive export counts every byte twice (writing and
   * reading back).
   */
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let quoted = this.quoted;
    let records = this.records;
    let afterLastRecord = -1;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === 0x22) quoted = !quoted;
      else if (byte === 0x0a && !quoted) {
        records++;
        afterLastRecord = i + 1;
      }
    }
    this.quoted = quoted;
    this.records = records;
    // Bytes after the last record's line break begin a record that is still open.
    if (chunk.length > 0) this.pending = afterLastRecord !== chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.pending) this.records++;
    done();
  }
}

/** The SHA-256 of a file, read as a stream so memory does not grow with its size. */
export async function sha256OfFile(file: string): Promise<string> {
  const meter = new Sha256Meter();
  await pipeline(createReadStream(file), meter, new Writable({ write: (_chunk, _encoding, done) => done() }));
  return meter.hex();
}

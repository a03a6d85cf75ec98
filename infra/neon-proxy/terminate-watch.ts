/**
 * Follows the client→server Postgres byte stream just enough to spot the Terminate message ('X').
 * The Neon driver never closes its WebSocket on `end()`, so the proxy closes the pair when it sees one.
 */

const PROTOCOL_3 = 196_608;
const TERMINATE = 0x58; // 'X'

/** Feed it every client→server chunk, in order; message boundaries may fall anywhere inside a chunk. */
export class TerminateWatch {
  /** Before the StartupMessage, messages carry no type byte (length + code). */
  private startup = true;
  /** Bytes of the current message still to pass over. */
  private skip = 0;
  private header: Buffer = Buffer.alloc(0);
  /** Set after an SSL/GSS request: what follows may be encrypted, so there is nothing left to read. */
  private blind = false;

  /** True when `chunk` holds a Terminate message (or completes one). */
  feed(chunk: Buffer): boolean {
    let at = 0;
    while (at < chunk.length && !this.blind) {
      if (this.skip > 0) {
        const step = Math.min(this.skip, chunk.length - at);
        this.skip -= step;
        at += step;
        continue;
      }
      const need = this.startup ? 8 : 5;
      const take = Math.min(need - this.header.length, chunk.length - at);
      this.header = Buffer.concat([this.header, chunk.subarray(at, at + take)]);
      at += take;
      if (this.header.length < need) break;
      if (this.readHeader(this.header)) return true;
      this.header = Buffer.alloc(0);
    }
    return false;
  }

  private readHeader(header: Buffer): boolean {
    if (this.startup) {
      const length = header.readInt32BE(0);
      const code = header.readInt32BE(4);
      if (code === PROTOCOL_3) this.startup = false;
      else if (code !== 80_877_102) this.blind = true; // SSLRequest / GSSENCRequest; CancelRequest is harmless
      this.skip = Math.max(0, length - 8);
      return false;
    }
    if (header[0] === TERMINATE) return true;
    this.skip = Math.max(0, header.readInt32BE(1) - 4);
    return false;
  }
}

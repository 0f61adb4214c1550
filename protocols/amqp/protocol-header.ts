import { checkProtocolHeader } from "./codec/frames.js";

/**
 * The 8-byte protocol header that opens a connection (§4.2.2), possibly split across reads.
 * `read` gives the bytes after it once it is complete and right, null while it is incomplete,
 * and false when it is not AMQP 0-9-1's (the caller answers with ours and closes).
 */
export class ProtocolHeaderReader {
  private partial: Buffer | null = null;

  read(chunk: Buffer): Buffer | null | false {
    const data = this.partial !== null ? Buffer.concat([this.partial, chunk]) : chunk;
    if (data.length < 8) {
      this.partial = data;
      return null;
    }
    this.partial = null;
    if (!checkProtocolHeader(data.subarray(0, 8))) return false;
    return data.subarray(8);
  }
}

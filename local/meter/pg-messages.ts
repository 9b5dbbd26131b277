/**
 * Follows what a PostgreSQL client writes (the frontend half of the wire protocol, version 3), chunk
 * by chunk as TCP delivers it, to count sessions and queries:
 *
 * - the startup phase has untyped messages (int32 length, int32 code): SSLRequest and GSSENCRequest,
 *   each answered by the server with one byte ('N': go on in plain text; 'S'/'G': encryption follows),
 *   CancelRequest, and the StartupMessage (protocol 3.x) that opens a session;
 * - then typed messages (one type byte, int32 length): 'Q' is a simple query, 'E' an extended-protocol
 *   Execute; everything else (Parse, Bind, Sync, password messages...) is skipped unread.
 *
 * Bodies are skipped, never buffered. Once the session is encrypted, or the bytes stop making sense,
 * nothing more is counted on that connection (the proxy still forwards and counts its bytes).
 */

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_MAJOR_3 = 3;
/** PostgreSQL's own limit for a startup packet. */
const MAX_STARTUP_BYTES = 10_000;
const QUERY = 0x51; // 'Q'
const EXECUTE = 0x45; // 'E'
const ENCRYPTION_ACCEPTED = new Set([0x53, 0x47]); // 'S', 'G'

type Phase = 'startup' | 'messages' | 'opaque';

export interface PgFrontendEvents {
  session(): void;
  query(): void;
}

export class PgFrontendReader {
  private phase: Phase = 'startup';
  private readonly header = Buffer.alloc(8);
  private headerBytes = 0;
  private skipLeft = 0;
  private awaitingAnswer = false;

  constructor(private readonly events: PgFrontendEvents) {}

  /** False once nothing more is read on this connection (encrypted, or not the protocol). */
  get reading(): boolean {
    return this.phase !== 'opaque';
  }

  /** Bytes the client sent. */
  clientData(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && this.phase !== 'opaque') {
      if (this.skipLeft > 0) {
        const take = Math.min(this.skipLeft, chunk.length - at);
        this.skipLeft -= take;
        at += take;
        continue;
      }
      const need = this.phase === 'startup' ? 8 : 5;
      const take = Math.min(need - this.headerBytes, chunk.length - at);
      chunk.copy(this.header, this.headerBytes, at, at + take);
      this.headerBytes += take;
      at += take;
      if (this.headerBytes < need) break;
      this.headerBytes = 0;
      if (this.phase === 'startup') this.startupMessage();
      else this.typedMessage();
    }
  }

  /** Bytes the server sent: only the one-byte answer to an encryption request matters here. */
  serverData(chunk: Buffer): void {
    if (!this.awaitingAnswer || chunk.length === 0) return;
    this.awaitingAnswer = false;
    if (ENCRYPTION_ACCEPTED.has(chunk[0]!)) this.phase = 'opaque';
  }

  private startupMessage(): void {
    const length = this.header.readInt32BE(0);
    const code = this.header.readInt32BE(4);
    if (length < 8 || length > MAX_STARTUP_BYTES) {
      this.phase = 'opaque';
      return;
    }
    this.skipLeft = length - 8;
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      this.awaitingAnswer = true;
    } else if (code === CANCEL_REQUEST) {
      // Its own connection, which the server closes: no session.
    } else if (code >>> 16 === PROTOCOL_MAJOR_3) {
      this.events.session();
      this.phase = 'messages';
    } else {
      this.phase = 'opaque';
    }
  }

  private typedMessage(): void {
    const type = this.header[0]!;
    const length = this.header.readInt32BE(1);
    if (length < 4) {
      this.phase = 'opaque';
      return;
    }
    this.skipLeft = length - 4;
    if (type === QUERY || type === EXECUTE) this.events.query();
  }
}

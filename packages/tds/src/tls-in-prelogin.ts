/**
 * TLS inside TDS (MS-TDS section 3.2.5.2 and 3.3.5.2): during the TLS
 * handshake every TLS record travels as the payload of PRELOGIN (0x12)
 * packets, in both directions; once the handshake is done, TLS records go
 * on the connection bare and carry TDS packets inside them.
 *
 * {@link PreloginTlsTransport} is the duplex a `node:tls` socket runs over
 * to do this. Inbound, it takes PRELOGIN packets apart until the first bare
 * TLS record arrives (a first byte of 0x14 to 0x17, the TLS content types,
 * which no TDS packet type shares); from then on it passes bytes through.
 * Outbound, it wraps what TLS writes until {@link PreloginTlsTransport.unwrap}
 * is called: by a client once its handshake completes, by a server when the
 * client's first bare record arrives (so the server's last handshake flight
 * is still wrapped).
 *
 * A server takes bare records only once the client has sent its handshake
 * flights wrapped (two at the least: ClientHello, then its Finished, in
 * TLS 1.2 and 1.3 alike): a client that starts TLS bare in TDS 7.x breaks
 * MS-TDS 3.3.5.2, and SQL Server reads its 0x16 as a packet type.
 *
 * `bare` makes it a plain pass-through from the first byte, for TDS 8.0,
 * where TLS runs on the connection before any TDS message (MS-TDS 3.3.5.3).
 *
 * @module
 */

import { Duplex } from 'node:stream';
import { TdsError } from './errors';
import { TdsPacketType } from './iana/packet';
import { DEFAULT_PACKET_SIZE, decodePacketHeader, encodePackets, PACKET_HEADER_BYTES } from './packet';

/** TLS record content types: change_cipher_spec, alert, handshake, application_data. */
const isTlsRecordStart = (b: number) => b >= 0x14 && b <= 0x17;

/** The duplex under a TLS socket that speaks TLS inside TDS PRELOGIN packets. */
export class PreloginTlsTransport extends Duplex {
  readonly #send: (bytes: Uint8Array) => void;
  readonly #maxPacket: number;
  readonly #unwrapOnRawInbound: boolean;
  readonly #onFinish: (() => void) | undefined;
  #wrapOut = true;
  #rawIn = false;
  /** PRELOGIN packets taken apart so far (a server refuses bare records before two). */
  #wrappedIn = 0;
  #buf: Uint8Array = new Uint8Array(0);

  /**
   * @param send writes bytes on the connection.
   * @param options.server a server unwraps its output when the client's first bare record arrives.
   * @param options.onFinish called when TLS has written its last bytes (after `end()`).
   * @param options.bare nothing is wrapped either way (TDS 8.0).
   */
  constructor(
    send: (bytes: Uint8Array) => void,
    options: { server: boolean; maxPacket?: number; onFinish?: () => void; bare?: boolean },
  ) {
    super();
    this.#send = send;
    this.#onFinish = options.onFinish;
    this.#maxPacket = options.maxPacket ?? DEFAULT_PACKET_SIZE;
    this.#unwrapOnRawInbound = options.server;
    if (options.bare === true) {
      this.#wrapOut = false;
      this.#rawIn = true;
    }
  }

  /** Stop wrapping outbound records: the handshake is over. */
  unwrap(): void {
    this.#wrapOut = false;
  }

  /** Whether inbound bytes now pass through bare. */
  get rawInbound(): boolean {
    return this.#rawIn;
  }

  /** Bytes from the connection. Throws a {@link TdsError} for a packet that is not PRELOGIN or too long. */
  feed(bytes: Uint8Array): void {
    if (this.#rawIn) {
      this.push(Buffer.from(bytes));
      return;
    }
    let buf = this.#buf.length === 0 ? bytes : Buffer.concat([this.#buf, bytes]);
    while (buf.length > 0) {
      if (isTlsRecordStart(buf[0]!)) {
        if (this.#unwrapOnRawInbound && this.#wrappedIn < 2) {
          throw new TdsError(
            'unexpected',
            'packet.Type',
            `a bare TLS record (0x${buf[0]!.toString(16)}) before the client's handshake flights came in PRELOGIN packets (MS-TDS 3.3.5.2)`,
          );
        }
        this.#rawIn = true;
        if (this.#unwrapOnRawInbound) this.#wrapOut = false;
        this.push(Buffer.from(buf));
        buf = new Uint8Array(0);
        break;
      }
      if (buf.length < PACKET_HEADER_BYTES) break;
      const h = decodePacketHeader(buf);
      if (h.type !== TdsPacketType.PRELOGIN) {
        throw new TdsError(
          'unexpected',
          'packet.Type',
          `0x${h.type.toString(16).padStart(2, '0')} during the TLS handshake (PRELOGIN, 0x12, carries it)`,
        );
      }
      if (h.length > this.#maxPacket) {
        throw new TdsError('too-large', 'packet.Length', `${h.length} bytes is more than ${this.#maxPacket}`);
      }
      if (buf.length < h.length) break;
      if (h.length > PACKET_HEADER_BYTES) this.push(Buffer.from(buf.subarray(PACKET_HEADER_BYTES, h.length)));
      this.#wrappedIn++;
      buf = buf.subarray(h.length);
    }
    this.#buf = buf.length === 0 ? new Uint8Array(0) : buf.slice();
  }

  /** The connection closed: no more inbound bytes. */
  closeInbound(): void {
    this.push(null);
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.#out([chunk], cb);
  }

  /**
   * What TLS writes at once (node:tls hands a long flight over in several
   * chunks, corked) goes out as one PRELOGIN message: SQL Server sends each
   * handshake flight as one message, and a client may read one message per
   * handshake step (Impacket does).
   */
  override _writev(chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void): void {
    this.#out(
      chunks.map((c) => c.chunk),
      cb,
    );
  }

  #out(chunks: Buffer[], cb: (e?: Error | null) => void): void {
    const b = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    try {
      this.#send(
        this.#wrapOut
          ? encodePackets(TdsPacketType.PRELOGIN, bytes, { packetSize: DEFAULT_PACKET_SIZE })
          : bytes,
      );
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.#onFinish?.();
    cb();
  }

  override _destroy(_e: Error | null, cb: (e?: Error | null) => void): void {
    cb();
  }
}

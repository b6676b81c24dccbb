/** Raw socket clients for server tests: every wait is on a socket event, never a timer. */

import { createSocket } from 'node:dgram';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { TcpRecordReader } from '@krbsim/transport';

/** A TCP connection that collects length-prefixed records as they arrive. */
export class RawTcp {
  readonly socket: Socket;
  readonly records: Uint8Array[] = [];
  readonly #reader = new TcpRecordReader(1 << 26);
  #waiters: (() => void)[] = [];
  ended = false;
  /** True once the socket has closed, whoever closed it. */
  isClosed = false;
  closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      for (const ev of this.#reader.push(chunk)) if (ev.kind === 'record') this.records.push(ev.message);
      this.#wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.#wake();
    });
    socket.on('error', () => this.#wake());
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
  }

  static open(port: number, host = '127.0.0.1', localAddress?: string): Promise<RawTcp> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host, ...(localAddress === undefined ? {} : { localAddress }) });
      s.once('error', reject);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new RawTcp(s));
      });
    });
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** Resolve once `n` records have arrived (or the peer ended the stream). */
  async waitRecords(n: number): Promise<Uint8Array[]> {
    while (this.records.length < n && !this.ended && !this.socket.destroyed) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return this.records;
  }

  /** Resolve once the peer has ended the stream. */
  async waitEnd(): Promise<void> {
    while (!this.ended && !this.socket.destroyed) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  async close(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }
}

/** Send one datagram and resolve with the first datagram back. */
export function udpRoundTrip(port: number, payload: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.on('error', (e) => {
      s.close();
      reject(e);
    });
    s.on('message', (msg) => {
      s.close();
      resolve(new Uint8Array(msg));
    });
    s.connect(port, '127.0.0.1', () => s.send(payload));
  });
}

/** A TCP port nothing listens on (bound by the OS, then released). */
export function closedTcpPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A UDP port nothing listens on (bound by the OS, then released). */
export function closedUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

/** A bound UDP socket that collects every datagram it receives, with its sender's port. */
export class UdpPeer {
  readonly received: { readonly from: number; readonly bytes: Uint8Array }[] = [];
  readonly #socket = createSocket('udp4');
  #waiters: (() => void)[] = [];

  private constructor() {
    this.#socket.on('message', (msg, rinfo) => {
      this.received.push({ from: rinfo.port, bytes: new Uint8Array(msg) });
      const w = this.#waiters;
      this.#waiters = [];
      for (const f of w) f();
    });
  }

  static open(): Promise<UdpPeer> {
    const peer = new UdpPeer();
    return new Promise((resolve) => peer.#socket.bind(0, '127.0.0.1', () => resolve(peer)));
  }

  get port(): number {
    return this.#socket.address().port;
  }

  send(port: number, bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) =>
      this.#socket.send(bytes, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
    );
  }

  /** Resolve once `pred` holds for some received datagram; returns it. */
  async waitFor(
    pred: (d: { from: number; bytes: Uint8Array }) => boolean,
  ): Promise<{ from: number; bytes: Uint8Array }> {
    for (;;) {
      const hit = this.received.find(pred);
      if (hit !== undefined) return hit;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

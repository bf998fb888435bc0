/** A TCP proxy that a test can cut, refuse, freeze and resume: the network faults of the suite. */
import { EventEmitter, once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * - `forward`: new connections are piped to the target, held ones are released.
 * - `refuse`: every open connection is reset and new ones are reset as soon as they arrive (the peer sees
 *   ECONNRESET, as with a host that went down and came back without the service).
 * - `hold`: a partition: open connections stop moving bytes (both sides paused, the kernel buffers fill)
 *   and new ones are accepted but not connected; `forward()` lets everything flow again.
 */
export type ProxyMode = 'forward' | 'refuse' | 'hold';

interface Pipe {
  client: Socket;
  upstream: Socket | undefined;
  /** Bytes sent from the target to the client so far. */
  down: number;
  /** Reset this pipe once `down` exceeds this (a cut in the middle of a response). */
  cutAt: number | undefined;
}

interface ProxyEvents {
  /** A client connection arrived (whatever the mode). */
  connection: [];
  /** A connection was reset by the proxy, and why. */
  cut: [reason: 'refuse' | 'cutAll' | 'cutAfterBytes'];
}

/**
 * Listens on 127.0.0.1 (port 0 by default) and forwards to `target`. Its address stays the same while the
 * target may change (`setTarget`), so a restarted service can come back on another port.
 */
export class TcpProxy extends EventEmitter<ProxyEvents> {
  private readonly pipes = new Set<Pipe>();
  private modeNow: ProxyMode = 'forward';
  private nextCutAt: number | undefined;
  private accepted = 0;

  private constructor(
    private readonly server: Server,
    private target: { host: string; port: number },
  ) {
    super();
  }

  static async start(target: { host?: string; port: number }): Promise<TcpProxy> {
    const server = createServer({ noDelay: true });
    const proxy = new TcpProxy(server, { host: target.host ?? '127.0.0.1', port: target.port });
    server.on('connection', (socket) => proxy.onConnection(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return proxy;
  }

  get port(): number {
    const addr = this.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('proxy not listening');
    return addr.port;
  }

  /** `127.0.0.1:<port>`, for gRPC targets. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get mode(): ProxyMode {
    return this.modeNow;
  }

  /** Client connections seen since start. */
  get connections(): number {
    return this.accepted;
  }

  /** Connections open now. */
  get active(): number {
    return this.pipes.size;
  }

  /** Where new connections go from now on (open ones keep their target). */
  setTarget(port: number, host = '127.0.0.1'): void {
    this.target = { host, port };
  }

  /** Normal forwarding; releases held connections. */
  forward(): void {
    this.modeNow = 'forward';
    for (const pipe of this.pipes) {
      if (pipe.upstream === undefined) this.connectUpstream(pipe);
      else {
        pipe.client.resume();
        pipe.upstream.resume();
      }
    }
  }

  /** Resets every open connection and every new one until `forward()`. */
  refuse(): void {
    this.modeNow = 'refuse';
    this.resetAll('refuse');
  }

  /** Freezes every open connection and holds new ones until `forward()`. */
  hold(): void {
    this.modeNow = 'hold';
    for (const pipe of this.pipes) {
      pipe.client.pause();
      pipe.upstream?.pause();
    }
  }

  /** Resets every open connection once; new ones are forwarded as usual. */
  cutAll(): void {
    this.resetAll('cutAll');
  }

  /**
   * Resets the next connection (and only it) once more than `bytes` went from the target to the client:
   * a cut in the middle of a large response, such as a snapshot.
   */
  cutNextAfterBytes(bytes: number): void {
    this.nextCutAt = bytes;
  }

  async close(): Promise<void> {
    this.resetAll('cutAll');
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(client: Socket): void {
    this.accepted++;
    this.emit('connection');
    if (this.modeNow === 'refuse') {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      this.emit('cut', 'refuse');
      return;
    }
    const pipe: Pipe = { client, upstream: undefined, down: 0, cutAt: this.nextCutAt };
    this.nextCutAt = undefined;
    this.pipes.add(pipe);
    client.setNoDelay(true);
    client.on('error', () => this.drop(pipe));
    client.on('close', () => this.drop(pipe));
    if (this.modeNow === 'hold') client.pause();
    else this.connectUpstream(pipe);
  }

  private connectUpstream(pipe: Pipe): void {
    const upstream = connect({ ...this.target, noDelay: true });
    pipe.upstream = upstream;
    upstream.on('error', () => this.drop(pipe));
    upstream.on('close', () => this.drop(pipe));
    const flowing = () => this.modeNow === 'forward';
    relay(pipe.client, upstream, flowing);
    relay(upstream, pipe.client, flowing, (n) => {
      pipe.down += n;
      if (pipe.cutAt !== undefined && pipe.down > pipe.cutAt) {
        this.reset(pipe);
        this.emit('cut', 'cutAfterBytes');
      }
    });
  }

  private resetAll(reason: 'refuse' | 'cutAll'): void {
    const open = [...this.pipes];
    for (const pipe of open) this.reset(pipe);
    if (open.length > 0) this.emit('cut', reason);
  }

  /** An abrupt end on both sides (RST), as when a peer or the network dies. */
  private reset(pipe: Pipe): void {
    this.pipes.delete(pipe);
    if (!pipe.client.destroyed) pipe.client.resetAndDestroy();
    if (pipe.upstream !== undefined && !pipe.upstream.destroyed) pipe.upstream.resetAndDestroy();
  }

  private drop(pipe: Pipe): void {
    this.pipes.delete(pipe);
    pipe.client.destroy();
    pipe.upstream?.destroy();
  }
}

/** Copies `from` to `to` with backpressure (resuming only while `flowing()`); a half-close is passed on. */
function relay(from: Socket, to: Socket, flowing: () => boolean, onBytes?: (n: number) => void): void {
  from.on('data', (chunk: Buffer) => {
    if (to.destroyed) return;
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => {
        if (flowing()) from.resume();
      });
    }
    onBytes?.(chunk.length);
  });
  from.on('end', () => {
    if (!to.destroyed) to.end();
  });
}

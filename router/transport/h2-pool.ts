import type { Client as UndiciClient, Dispatcher } from 'undici';

/**
 * HTTP/2 connections to one origin, each carrying up to `streams` requests at once;
 * a new connection opens only when every open one is full.
 *
 * Why not undici's Pool with `allowH2`: a Pool hands a request to a client only when
 * that client is not busy, and a client still connecting is busy as soon as one
 * request waits. A burst of N requests therefore opened N connections, one stream
 * each (measured: 300 concurrent streams -> 301 clients), which is HTTP/1.1's cost
 * with none of HTTP/2's sharing. Here a client takes requests up to `streams`
 * whether or not it has connected yet.
 *
 * undici also holds back a non-idempotent request (POST) while another runs on the
 * same connection, even over HTTP/2 where nothing is at risk, so requests go out
 * marked idempotent (undici uses the flag only for that gate).
 *
 * Nothing is ever pipelined over HTTP/1.1. With prior knowledge (h2c) every connection
 * is HTTP/2 from the start. Over https, ALPN decides: until a connection has reported
 * HTTP/2 the pool runs one request per connection (like a plain Pool), then widens to
 * `streams`; a connection that reports anything but HTTP/2 (or whose protocol cannot be
 * read) stays at one request at a time.
 *
 * A server's SETTINGS_MAX_CONCURRENT_STREAMS below `streams` lowers every connection's
 * share once undici has read it from one (so the excess opens another connection
 * instead of waiting); requests handed out before any settings arrived (the very first
 * burst) may still wait on their connection.
 *
 * A client whose connection drops reconnects on its next request (undici), so the
 * list only grows to peak concurrency / `streams`.
 */
export class H2Pool {
  private readonly clients: UndiciClient[] = [];
  private last: UndiciClient | undefined;
  /** Requests per connection now: `streams` once HTTP/2 is known, else 1. */
  private cap: number;
  /** The lowest SETTINGS_MAX_CONCURRENT_STREAMS any connection to this origin has reported. */
  private serverMax = Infinity;

  /** `h2c`: HTTP/2 by prior knowledge (http origins), so no need to wait for ALPN. */
  constructor(
    private readonly Client: typeof UndiciClient,
    private readonly origin: string,
    private readonly options: UndiciClient.Options,
    private readonly streams: number,
    h2c: boolean,
  ) {
    this.cap = h2c ? streams : 1;
  }

  dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.pick().dispatch({ ...opts, idempotent: true }, handler);
  }

  /** undici keeps some per-client state on internal symbols; found by description, once. */
  private static readonly keys = new Map<string, symbol | null>();
  private static internal<T>(c: UndiciClient, description: string): T | undefined {
    let key = H2Pool.keys.get(description);
    if (key === undefined) {
      key = Object.getOwnPropertySymbols(c).find((s) => s.description === description) ?? null;
      H2Pool.keys.set(description, key);
    }
    return key === null ? undefined : (c as unknown as Record<symbol, T>)[key];
  }

  /** Which protocol a connected client speaks ('h1' | 'h2'). */
  private static protocol(c: UndiciClient): string | undefined {
    return H2Pool.internal<{ version?: string } | null>(c, 'http context')?.version;
  }

  /**
   * Requests this client may carry at once: the pool's cap, lowered to the server's
   * SETTINGS_MAX_CONCURRENT_STREAMS once undici has read it (so the excess opens another
   * connection instead of waiting on this one).
   */
  private limitOf(c: UndiciClient): number {
    const remote = H2Pool.internal<number>(c, 'max concurrent streams');
    if (typeof remote === 'number' && remote >= 1 && remote < this.serverMax) this.serverMax = remote; // same origin, same settings
    const limit = this.limit;
    if (c.pipelining !== limit) c.pipelining = limit;
    return limit;
  }

  private get limit(): number {
    return Math.min(this.cap, this.serverMax);
  }

  private hasRoom(c: UndiciClient): boolean {
    return !c.closed && !c.destroyed && c.stats.size < this.limitOf(c);
  }

  private pick(): UndiciClient {
    if (this.last !== undefined && this.hasRoom(this.last)) return this.last;
    let c = this.clients.find((x) => this.hasRoom(x));
    if (c === undefined) {
      const client = new this.Client(this.origin, { ...this.options, pipelining: this.limit, maxConcurrentStreams: this.streams });
      client.on('connect', () => {
        const h2 = H2Pool.protocol(client) === 'h2';
        this.cap = h2 ? this.streams : 1;
        client.pipelining = this.limit;
      });
      this.clients.push(client);
      c = client;
    }
    this.last = c;
    return c;
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }

  async destroy(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.destroy()));
  }
}

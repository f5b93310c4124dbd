// The TCP side: size-prefixed frames in, one response per request out, in order.
//
// Frame: int32 size, then request header v1 (api_key int16, api_version int16,
// correlation_id int32, client_id nullable string) and the body. Responses carry
// header v0 (correlation_id only). Clients pipeline, so each connection's requests
// run one after another and reply in order. A frame we cannot serve (unknown API,
// unsupported version, malformed body, oversized) closes that connection only.
import net from 'node:net';
import type { Logger } from '../../logging.js';
import { apiHandlers, writeApiVersions } from './apis/index.js';
import { NO_RESPONSE, type BrokerContext, type RequestContext } from './context.js';
import { ApiKey, apiName } from './protocol/api-keys.js';
import { Reader, Writer } from './protocol/codec.js';
import { ErrorCode, KafkaProtocolError } from './protocol/errors.js';

const MIN_FRAME = 8; // api_key + api_version + correlation_id
/** Requests read ahead per connection before the socket is paused. */
const MAX_QUEUED_REQUESTS = 64;

export interface ServerOptions {
  host: string;
  port: number;
  maxRequestBytes: number;
}

export class KafkaServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    private readonly ctx: BrokerContext,
    private readonly opts: ServerOptions,
    private readonly logger: Logger,
  ) {
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.on('error', (err) => logger.error('server error', { err }));
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const log = this.logger.child({ peer });
    log.debug('connection opened');
    const conn = new Connection(socket, this.ctx, this.opts.maxRequestBytes, log);
    socket.on('data', (chunk: Buffer) => conn.onData(chunk));
    socket.on('error', (err) => log.debug('connection error', { err }));
    socket.on('close', () => {
      this.sockets.delete(socket);
      conn.closed = true;
      log.debug('connection closed');
    });
  }
}

class Connection {
  closed = false;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private queue: Buffer[] = [];
  private running = false;
  /** Set when a bad frame arrived: answer what is queued, then close. */
  private ending: string | undefined;
  private readonly clientHost: string;

  constructor(
    private readonly socket: net.Socket,
    private readonly ctx: BrokerContext,
    private readonly maxRequestBytes: number,
    private readonly log: Logger,
  ) {
    this.clientHost = `/${socket.remoteAddress ?? 'unknown'}`;
  }

  onData(chunk: Buffer): void {
    if (this.closed || this.ending) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const head = this.chunks[0].length >= 4 ? this.chunks[0] : this.flatten();
      const size = head.readInt32BE(0);
      if (size < MIN_FRAME || size > this.maxRequestBytes) {
        // Requests already received are still answered, in order; then the connection closes.
        this.endAfterQueue(`bad frame size ${size} (limit ${this.maxRequestBytes})`);
        break;
      }
      if (this.buffered < 4 + size) break;
      const all = this.flatten();
      this.queue.push(all.subarray(4, 4 + size));
      const rest = all.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
    // Backpressure: a client that pipelines without reading answers stops being read.
    if (this.queue.length >= MAX_QUEUED_REQUESTS) this.socket.pause();
    if (!this.running) void this.drain();
  }

  private endAfterQueue(reason: string): void {
    this.ending = reason;
    this.chunks = [];
    this.buffered = 0;
    if (!this.running && this.queue.length === 0) this.abort(reason);
  }

  private flatten(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0];
  }

  private abort(reason: string): void {
    this.log.warn('closing connection', { reason });
    this.closed = true;
    this.queue = [];
    this.socket.destroy();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const frame = this.queue.shift()!;
        const response = await this.handle(frame);
        if (response && !this.closed) this.socket.write(response);
        if (this.queue.length < MAX_QUEUED_REQUESTS / 2 && this.socket.isPaused()) this.socket.resume();
      }
    } finally {
      this.running = false;
    }
    if (this.ending !== undefined && !this.closed) {
      // Let the answers reach the client before closing.
      this.log.warn('closing connection', { reason: this.ending });
      this.closed = true;
      this.socket.end();
    }
  }

  /** Returns the framed response, or null when none is due or the connection was closed. */
  private async handle(frame: Buffer): Promise<Buffer | null> {
    const r = new Reader(frame);
    let req: RequestContext | undefined;
    try {
      const apiKey = r.int16();
      const apiVersion = r.int16();
      const correlationId = r.int32();
      req = { apiKey, apiVersion, correlationId, clientId: null, clientHost: this.clientHost };
      const w = new Writer(1024);
      const sizeAt = w.reserveInt32();
      w.int32(correlationId);

      const handler = apiHandlers.get(apiKey);
      if (!handler) {
        this.abort(`unknown api key ${apiKey}`);
        return null;
      }
      if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
        if (apiKey === ApiKey.ApiVersions) {
          // librdkafka's opening move: answer with a v0 body and error 35, keep the connection.
          writeApiVersions(w, ErrorCode.UNSUPPORTED_VERSION, 0);
          w.setInt32(sizeAt, w.offset - 4);
          return w.toBuffer();
        }
        this.abort(`unsupported version ${apiVersion} of ${apiName[apiKey]}`);
        return null;
      }
      req.clientId = r.nullableString();
      if (this.log.level === 'debug') this.log.debug('request', { api: apiName[apiKey], version: apiVersion, clientId: req.clientId });
      const result = await handler.handle(this.ctx, req, r, w);
      if (result === NO_RESPONSE) return null;
      w.setInt32(sizeAt, w.offset - 4);
      return w.toBuffer();
    } catch (err) {
      const api = req ? `${apiName[req.apiKey]} v${req.apiVersion}` : 'unparsed';
      if (err instanceof KafkaProtocolError) this.abort(`malformed ${api} request: ${err.message}`);
      else {
        this.log.error('request failed', { api, err, stack: err instanceof Error ? err.stack : undefined });
        this.abort(`internal error handling ${api}`);
      }
      return null;
    }
  }
}

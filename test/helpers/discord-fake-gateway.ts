import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import {
  type ApplicationFlags,
  type GatewayGuildCreateDispatchData,
  GatewayOpcodes,
  type GatewayReadyDispatchData,
} from 'discord.js';
import { type WebSocket, WebSocketServer } from 'ws';

export interface FakeDiscordGatewayOptions {
  applicationId: string;
  token: string;
  /** Guilds announced in READY (as unavailable) and then sent in full as GUILD_CREATE: the cached-guild path. */
  guilds: GatewayGuildCreateDispatchData[];
}

/** What the client sent in IDENTIFY. */
export interface IdentifyPayload {
  token: string;
  intents: number;
  properties: Record<string, string>;
  shard?: [number, number];
}

/**
 * Discord's gateway on loopback: HELLO, IDENTIFY → READY (+ GUILD_CREATE), heartbeat ACKs, and dispatches of
 * INTERACTION_CREATE. A wrong token is closed with 4004, as Discord does.
 */
export class FakeDiscordGateway {
  readonly identifies: IdentifyPayload[] = [];
  /** The gateway URL as READY names it for resuming (default the loopback URL): a name only a proxy resolves, say. */
  advertisedUrl: string | undefined;
  /** Connections accepted, resumes included. */
  connections = 0;
  readonly resumes: Array<{ session_id: string; seq: number }> = [];
  private readonly sockets = new Set<WebSocket>();
  private sequence = 0;
  private readyWaiters: Array<() => void> = [];

  private constructor(
    private readonly server: WebSocketServer,
    private readonly options: FakeDiscordGatewayOptions,
  ) {
    server.on('connection', (socket) => this.accept(socket));
  }

  static async start(options: FakeDiscordGatewayOptions): Promise<FakeDiscordGateway> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    return new FakeDiscordGateway(server, options);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once a client has identified and been sent READY. */
  ready(): Promise<void> {
    if (this.sockets.size > 0 && this.identifies.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Sends a dispatch (op 0) to every identified client. */
  dispatch(event: string, data: unknown): void {
    for (const socket of this.sockets)
      this.send(socket, { op: GatewayOpcodes.Dispatch, t: event, s: ++this.sequence, d: data });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }

  /** Resolves once `count` clients have identified (READY sent). */
  identified(count: number): Promise<void> {
    if (this.identifies.length >= count) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.identifies.length >= count) resolve();
        else this.readyWaiters.push(check);
      };
      this.readyWaiters.push(check);
    });
  }

  private accept(socket: WebSocket): void {
    this.connections++;
    this.send(socket, { op: GatewayOpcodes.Hello, d: { heartbeat_interval: 41_250 }, s: null, t: null });
    socket.on('message', (raw) => {
      const payload = JSON.parse(String(raw)) as { op: number; d: unknown };
      switch (payload.op) {
        case GatewayOpcodes.Heartbeat:
          this.send(socket, { op: GatewayOpcodes.HeartbeatAck, d: null, s: null, t: null });
          break;
        case GatewayOpcodes.Identify:
          this.identify(socket, payload.d as IdentifyPayload);
          break;
        case GatewayOpcodes.Resume:
          // This fake keeps no sessions: a resume is refused as Discord refuses a stale one, and the client identifies.
          this.resumes.push(payload.d as { session_id: string; seq: number });
          this.send(socket, { op: GatewayOpcodes.InvalidSession, d: false, s: null, t: null });
          break;
        default:
          break;
      }
    });
    socket.on('close', () => this.sockets.delete(socket));
  }

  private identify(socket: WebSocket, identify: IdentifyPayload): void {
    this.identifies.push(identify);
    if (identify.token !== this.options.token) {
      socket.close(4004, 'Authentication failed.');
      return;
    }
    this.sockets.add(socket);
    const ready: GatewayReadyDispatchData = {
      v: 10,
      user: {
        id: this.options.applicationId,
        username: 'lotus-chatops',
        discriminator: '0',
        global_name: null,
        avatar: null,
        bot: true,
      },
      guilds: this.options.guilds.map((g) => ({ id: g.id, unavailable: true })),
      session_id: 'fake-session-1',
      resume_gateway_url: this.advertisedUrl ?? this.url,
      shard: [0, 1],
      application: { id: this.options.applicationId, flags: 0 as ApplicationFlags, flags_new: '0' },
    };
    this.send(socket, { op: GatewayOpcodes.Dispatch, t: 'READY', s: ++this.sequence, d: ready });
    for (const guild of this.options.guilds) {
      this.send(socket, { op: GatewayOpcodes.Dispatch, t: 'GUILD_CREATE', s: ++this.sequence, d: guild });
    }
    for (const resolve of this.readyWaiters.splice(0)) resolve();
  }

  private send(socket: WebSocket, payload: unknown): void {
    socket.send(JSON.stringify(payload));
  }
}

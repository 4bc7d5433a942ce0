import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export type EnvelopeType = 'slash_commands' | 'interactive';

/**
 * Slack's Socket Mode server on loopback: greets each connection with `hello`, sends `slash_commands` and `interactive`
 * envelopes, and resolves each `send` with the payload of the acknowledgement that carries its envelope_id.
 */
export class FakeSocketModeServer {
  connections = 0;
  private socket: WebSocket | undefined;
  private readonly pendingAcks = new Map<string, (payload: Record<string, unknown>) => void>();
  private readonly connectionWaiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor(
    private readonly server: WebSocketServer,
    readonly url: string,
  ) {
    server.on('connection', (socket) => {
      this.socket = socket;
      this.connections++;
      socket.on('message', (data) => this.onMessage(data.toString()));
      socket.send(
        JSON.stringify({
          type: 'hello',
          num_connections: 1,
          debug_info: { host: 'fake' },
          connection_info: { app_id: 'A0FAKE' },
        }),
      );
      for (const waiter of [...this.connectionWaiters]) {
        if (this.connections < waiter.count) continue;
        this.connectionWaiters.splice(this.connectionWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    });
  }

  static async start(): Promise<FakeSocketModeServer> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    return new FakeSocketModeServer(server, `ws://127.0.0.1:${(server.address() as AddressInfo).port}/link`);
  }

  /** Resolves once `count` connections have been greeted. */
  waitForConnections(count = 1): Promise<void> {
    if (this.connections >= count) return Promise.resolve();
    return new Promise((resolve) => this.connectionWaiters.push({ count, resolve }));
  }

  /** What Slack sends before it recycles a link: the client must close it and open a new one. */
  requestRefresh(): void {
    this.socket?.send(
      JSON.stringify({ type: 'disconnect', reason: 'refresh_requested', debug_info: { host: 'fake' } }),
    );
  }

  /** Sends one envelope; resolves with the ack's payload (`{}` for a bare ack). */
  send(type: EnvelopeType, payload: Record<string, unknown>): Promise<Record<string, unknown>> {
    const socket = this.socket;
    if (!socket) throw new Error('no Socket Mode client is connected');
    const envelopeId = randomUUID();
    const acked = new Promise<Record<string, unknown>>((resolve) => this.pendingAcks.set(envelopeId, resolve));
    socket.send(
      JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type === 'slash_commands' }),
    );
    return acked;
  }

  /** Envelopes sent but never acknowledged. */
  get unacknowledged(): number {
    return this.pendingAcks.size;
  }

  close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private onMessage(text: string): void {
    const message = JSON.parse(text) as { envelope_id?: string; payload?: Record<string, unknown> };
    if (!message.envelope_id) return;
    const resolve = this.pendingAcks.get(message.envelope_id);
    this.pendingAcks.delete(message.envelope_id);
    resolve?.(message.payload ?? {});
  }
}

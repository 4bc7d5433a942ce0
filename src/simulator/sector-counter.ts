import { createServer, type Server, type Socket } from 'node:net';
import { listen } from './listen.js';
import { RpcMethodError } from './rpc-server.js';

/**
 * Stands in for the fork's sector-counter (a gRPC service on the `alloce` winning-post miner): a real TCP listener,
 * so a connect probe works, and the one counter every miner's PledgeSector takes numbers from. It speaks no gRPC:
 * nothing but a miner may consume a number (a probe must never call GetSectorID).
 */
export class SectorCounter {
  private nextNumber: number;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private boundPort = 0;
  private host = '127.0.0.1';

  constructor(next: number) {
    this.nextNumber = next;
  }

  get port(): number {
    return this.boundPort;
  }

  get up(): boolean {
    return this.server?.listening ?? false;
  }

  /** The number the next allocation returns. */
  get next(): number {
    return this.nextNumber;
  }

  async start(host: string, port = this.boundPort): Promise<number> {
    if (this.server?.listening) return this.boundPort;
    this.host = host;
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      // Whatever a client sends is not answered; it may connect and leave.
      socket.resume();
    });
    this.boundPort = await listen(server, port, host);
    this.server = server;
    return this.boundPort;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A number for a new sector, as `GetSectorID` hands it out; fails as the fork's client does when it is down. */
  allocate(): number {
    if (!this.up) {
      throw new RpcMethodError(
        'getting sector number: rpc error: code = Unavailable desc = connection error: desc = "transport: ' +
          `Error while dialing: dial tcp ${this.host}:${this.boundPort}: connect: connection refused"`,
      );
    }
    return this.nextNumber++;
  }

  /** Numbers for the scenario's own sectors, taken while the simulator is built (the counter need not be up). */
  allocateInitial(): number {
    return this.nextNumber++;
  }
}

import type { AddressInfo, Server } from 'node:net';

/** Starts listening and resolves with the bound port (a failure to bind rejects instead of crashing the process). */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

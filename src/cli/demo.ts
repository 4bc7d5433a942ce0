import type { Readable, Writable } from 'node:stream';

export async function runDemo(_options: { as: string | undefined; input: Readable; output: Writable }): Promise<number> {
  return 1;
}

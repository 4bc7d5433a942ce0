import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import type { BotProcess } from './bot-process.js';

/**
 * The live JavaScript heap of a running bot, after a full garbage collection, read over the V8 inspector: what the
 * process really keeps, which RSS (grown and released lazily by V8 and malloc) cannot tell. The bot must have been
 * started with `--inspect-port=0`; `attach` opens the inspector with SIGUSR1 (on a random loopback port) and keeps
 * one session for every later reading.
 */
export class HeapProbe {
  private nextId = 0;
  private readonly pending = new Map<number, (result: Record<string, unknown>) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: Record<string, unknown> };
      if (message.id === undefined) return;
      this.pending.get(message.id)?.(message.result ?? {});
      this.pending.delete(message.id);
    });
  }

  static async attach(bot: BotProcess, timeoutMs = 10_000): Promise<HeapProbe> {
    process.kill(bot.pid, 'SIGUSR1');
    const deadline = Date.now() + timeoutMs;
    let url: string | undefined;
    while (!(url = /Debugger listening on (ws:\/\/\S+)/.exec(bot.stderrTail())?.[1])) {
      if (Date.now() > deadline) throw new Error('the bot did not open its inspector after SIGUSR1');
      await sleep(20);
    }
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new HeapProbe(ws);
  }

  /** Used heap in MiB after two full collections. */
  async liveHeapMiB(): Promise<number> {
    await this.call('HeapProfiler.collectGarbage');
    await this.call('HeapProfiler.collectGarbage');
    const usage = await this.call('Runtime.getHeapUsage');
    return Number(usage.usedSize) / 2 ** 20;
  }

  close(): void {
    this.ws.close();
  }

  private call(method: string): Promise<Record<string, unknown>> {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ id, method, params: {} }));
    });
  }
}

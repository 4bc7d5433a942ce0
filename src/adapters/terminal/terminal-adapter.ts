import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ChannelPoster, MessageRef } from '../../core/channel-poster.js';
import type { ChannelRef, Principal } from '../../core/command.js';
import type { Reply } from '../../core/reply.js';
import type { Runtime } from '../../core/runtime.js';
import { splitCommandLine } from './command-line.js';
import { terminalPrincipal } from './identity.js';
import { renderText } from './render.js';

export interface TerminalAdapterOptions {
  runtime: Pick<Runtime, 'dispatch' | 'messagePosted'>;
  principal: Principal;
  input: Readable;
  output: Writable;
  /** Greeting printed once, e.g. the demo's hints. */
  banner?: string;
  /** `as NAME` switches the acting user: for the demo, where one person plays requester and approver. */
  allowSwitchUser?: boolean;
  /**
   * Words that are not chat commands, handled by whoever started the terminal (the demo's `break` and `fix`, which
   * turn the simulator's faults on and off): the first word picks one; its answer is printed.
   */
  localWords?: Record<string, (args: string[]) => Promise<string>>;
}

const channel: ChannelRef = { platform: 'terminal', id: 'console', name: 'console' };

/**
 * A readline prompt for local use and the demo. It only reads lines, hands them to the runtime and prints the rendered
 * reply; it decides nothing. It is also the poster for messages addressed to the terminal: a message is a numbered
 * block of output, an update to it a one-line note, and a thread reply the reply printed under a marker.
 */
export class TerminalAdapter implements ChannelPoster {
  readonly platform = 'terminal';
  private rl: Interface | undefined;
  private closed: Promise<void> | undefined;
  private principal: Principal;
  private stopped = false;
  private printed = 0;

  constructor(private readonly options: TerminalAdapterOptions) {
    this.principal = options.principal;
  }

  start(): Promise<void> {
    const { input, output, banner } = this.options;
    this.rl = createInterface({ input, output, terminal: false, prompt: `${this.principal.id}> ` });
    if (banner) output.write(`${banner}\n`);
    this.rl.prompt();
    const rl = this.rl;
    let queue = Promise.resolve();
    rl.on('line', (line) => {
      // One command at a time, in order, as typed.
      queue = queue
        .then(() => this.handle(line))
        .then(() => {
          if (!this.stopped) rl.prompt();
        });
    });
    this.closed = new Promise((resolve) => rl.on('close', () => void queue.then(resolve)));
    return this.closed;
  }

  async post(target: ChannelRef, reply: Reply): Promise<MessageRef> {
    this.options.output.write(`\n${renderText(reply)}\n`);
    return this.ref(target.id);
  }

  /** A terminal cannot change what it printed: the new state is one line, the last notice of the reply. */
  async update(ref: MessageRef, reply: Reply): Promise<void> {
    const notices = reply.blocks.filter((b) => b.kind === 'notice');
    const status = notices.at(-1);
    this.options.output.write(
      `  ↻ #${ref.messageIds[0] ?? '?'} ${reply.title}${status?.kind === 'notice' ? `: ${status.text}` : ''}\n`,
    );
  }

  async replyInThread(ref: MessageRef, reply: Reply): Promise<void> {
    this.options.output.write(`\n  ↳ about #${ref.messageIds[0] ?? '?'}\n${renderText(reply)}\n`);
  }

  stop(): void {
    this.stopped = true;
    this.rl?.close();
  }

  private async handle(line: string): Promise<void> {
    const trimmed = line.trim();
    if (trimmed === '') return;
    if (trimmed === 'exit' || trimmed === 'quit') {
      this.stop();
      return;
    }
    const switchTo = /^as\s+(\S+)$/.exec(trimmed);
    if (switchTo && this.options.allowSwitchUser) {
      this.principal = terminalPrincipal(switchTo[1]);
      this.rl?.setPrompt(`${this.principal.id}> `);
      this.options.output.write(`You are now ${this.principal.id}.\n`);
      return;
    }
    const [word = '', ...args] = trimmed.split(/\s+/);
    const local = this.options.localWords?.[word];
    if (local) {
      this.options.output.write(`${await local(args)}\n`);
      return;
    }
    const parsed = splitCommandLine(trimmed);
    if (!parsed) {
      this.options.output.write('Type a command such as /help, /deadlines or /pledge 1 (exit to leave).\n');
      return;
    }
    const reply = await this.options.runtime.dispatch({
      principal: this.principal,
      channel,
      command: parsed.command,
      text: parsed.text,
      progress: async (text) => {
        this.options.output.write(`  … ${text}\n`);
      },
    });
    this.options.output.write(`${renderText(reply)}\n`);
    if (reply.subject && !reply.ephemeral) {
      const ref = this.ref(channel.id);
      this.options.output.write(`  (message #${ref.messageIds[0]})\n`);
      await this.options.runtime.messagePosted(reply.subject, ref);
    }
  }

  private ref(channelId: string): MessageRef {
    this.printed++;
    return { platform: this.platform, channelId, messageIds: [String(this.printed)] };
  }
}

import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { TerminalAdapter } from '../../../src/adapters/terminal/terminal-adapter.js';
import { createHarness, type Harness } from '../../helpers/runtime-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The terminal adapter on the harness's runtime, registered as the terminal's poster, as `run` and `demo` do. */
async function terminalOn(harness: Harness) {
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (d: Buffer) => (printed += d.toString()));
  // An operator in the harness's RBAC, who switches to another operator to approve, as in the demo.
  const terminal = new TerminalAdapter({
    runtime: harness.runtime,
    principal: { id: 'slack:UALICE', groups: [] },
    input,
    output,
    allowSwitchUser: true,
  });
  harness.posters.register(terminal);
  const done = terminal.start();
  const type = async (line: string, until: RegExp): Promise<void> => {
    input.write(`${line}\n`);
    for (let i = 0; i < 500 && !until.test(printed); i++) await new Promise((r) => setTimeout(r, 5));
    await harness.settled();
  };
  return { type, printed: () => printed, stop: () => (terminal.stop(), done) };
}

describe('the terminal adapter', () => {
  it('given a request approved in the same terminal, when it runs, then its outcome is printed once, and the request shows its new state in a line', async () => {
    h = await createHarness();
    const t = await terminalOn(h);
    await t.type('/destroy disk-1', /Approval request (\w{6})/);
    const id = /Approval request (\w{6})/.exec(t.printed())?.[1];
    await t.type('as slack:UBOB', /You are now/);
    await t.type(`/approvals approve ${id}`, /Destroyed disk-1/);
    await t.stop();
    const text = t.printed();
    expect(text.split('[✓] Destroyed disk-1').length - 1).toBe(1);
    expect(text).toContain('↻ #1 Plan: destroy disk-1: Done: Destroyed disk-1');
  });
});

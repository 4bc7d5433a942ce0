import { once } from 'node:events';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { slashCommand } from '../../helpers/slack-payload-builders.js';
import {
  postSigned,
  type SlackTestBed,
  signingSecret,
  slackSignature,
  startSlackTestBed,
} from '../../helpers/slack-test-bed.js';

let bed: SlackTestBed | undefined;
afterEach(async () => {
  await bed?.close();
  bed = undefined;
});

/**
 * Bolt's own check also compares the timestamp with the real time, so the test clock starts at the real time; every
 * timestamp below is derived from it, and nothing waits.
 */
async function start(options: { dbPath?: string; httpTimeouts?: { headersMs: number; requestMs: number } } = {}) {
  bed = await startSlackTestBed({
    mode: 'http',
    harness: { clock: new FakeClock(Date.now()), ...(options.dbPath ? { dbPath: options.dbPath } : {}) },
    ...(options.httpTimeouts ? { adapter: { httpTimeouts: options.httpTimeouts } } : {}),
  });
  return bed;
}

function helpBody(b: SlackTestBed, id: string): string {
  return new URLSearchParams(
    slashCommand({ command: '/help', user: 'UALICE', responseUrl: b.responses.url(id) }),
  ).toString();
}

function nowSeconds(b: SlackTestBed): number {
  return Math.floor(b.h.clock.now() / 1000);
}

async function signedHelp(
  b: SlackTestBed,
  id: string,
  timestamp = nowSeconds(b),
  secret = signingSecret,
): Promise<{ status: number; text: string }> {
  const body = helpBody(b, id);
  return postSigned(b.adapter.port ?? 0, body, { timestamp, signature: slackSignature(secret, timestamp, body) });
}

/** How many times /help ran, from the audit trail. */
async function helpRuns(b: SlackTestBed): Promise<number> {
  await b.h.settled();
  return (await b.h.store.queryAudit({ command: 'help', limit: 50 })).filter((e) => e.event === 'command.run').length;
}

describe('the Slack adapter in HTTP mode', () => {
  it('given a correctly signed slash command, when it is posted, then it is acked with 200 and answered', async () => {
    const b = await start();
    const response = await signedHelp(b, 'good');
    expect(response).toEqual({ status: 200, text: '' });
    const [post] = await b.responses.waitFor('good');
    expect(post?.body.text).toBe(':information_source: Commands you may run');
    expect(await helpRuns(b)).toBe(1);
  });

  it('given a wrong signature, when the request is posted, then it is refused with 401 and nothing runs', async () => {
    const b = await start();
    expect((await signedHelp(b, 'forged', nowSeconds(b), 'not-the-secret')).status).toBe(401);
    await signedHelp(b, 'after');
    await b.responses.waitFor('after');
    expect(b.responses.postsTo('forged')).toEqual([]);
    expect(await helpRuns(b)).toBe(1);
    expect(b.logLines.some((l) => l.includes('"reason":"bad-signature"'))).toBe(true);
  });

  it('given a timestamp six minutes old, when the request is posted, then it is refused with 401', async () => {
    const b = await start();
    expect((await signedHelp(b, 'stale', nowSeconds(b) - 360)).status).toBe(401);
    await signedHelp(b, 'after');
    await b.responses.waitFor('after');
    expect(b.responses.postsTo('stale')).toEqual([]);
    expect(await helpRuns(b)).toBe(1);
  });

  it('given a timestamp six minutes in the future, when the request is posted, then it is refused with 401 (Bolt alone would accept it)', async () => {
    const b = await start();
    expect((await signedHelp(b, 'future', nowSeconds(b) + 360)).status).toBe(401);
    await signedHelp(b, 'after');
    await b.responses.waitFor('after');
    expect(b.responses.postsTo('future')).toEqual([]);
    expect(await helpRuns(b)).toBe(1);
    expect(b.logLines.some((l) => l.includes('"reason":"future"'))).toBe(true);
  });

  it('given a signed request already accepted, when it is replayed, then the replay is refused with 401 and runs nothing', async () => {
    const b = await start();
    const timestamp = nowSeconds(b);
    const body = helpBody(b, 'once');
    const headers = { timestamp, signature: slackSignature(signingSecret, timestamp, body) };
    expect((await postSigned(b.adapter.port ?? 0, body, headers)).status).toBe(200);
    await b.responses.waitFor('once');
    expect((await postSigned(b.adapter.port ?? 0, body, headers)).status).toBe(401);
    await signedHelp(b, 'after');
    await b.responses.waitFor('after');
    expect(b.responses.postsTo('once')).toHaveLength(1);
    expect(await helpRuns(b)).toBe(2);
    expect(b.logLines.some((l) => l.includes('"reason":"replay"'))).toBe(true);
  });

  it("given Slack's unsigned SSL check, when it is posted, then it gets an empty 200 and reaches no command", async () => {
    const b = await start();
    const response = await fetch(`http://127.0.0.1:${b.adapter.port}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'ssl_check=1&token=x&command=%2Fhelp',
    });
    expect(response.status).toBe(200);
    expect(await helpRuns(b)).toBe(0);
  });

  it('given a signed request accepted before a restart, when it is replayed to the restarted bot, then it is refused', async () => {
    const first = await start();
    const timestamp = nowSeconds(first);
    const body = helpBody(first, 'before');
    const headers = { timestamp, signature: slackSignature(signingSecret, timestamp, body) };
    expect((await postSigned(first.adapter.port ?? 0, body, headers)).status).toBe(200);
    await first.responses.waitFor('before');
    const dbPath = first.h.dbPath;
    await first.close();
    bed = undefined;

    const restarted = await start({ dbPath });
    expect((await postSigned(restarted.adapter.port ?? 0, body, headers)).status).toBe(401);
    expect(restarted.logLines.some((l) => l.includes('"reason":"replay"'))).toBe(true);
    expect(await helpRuns(restarted)).toBe(1);
  });

  it('given a client that sends its headers a byte at a time, then it is cut off and others are served meanwhile', async () => {
    const b = await start({ httpTimeouts: { headersMs: 500, requestMs: 1_000 } });
    const slow = await dribble(b.adapter.port ?? 0, 'POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slack-Signature: v0=');
    expect((await signedHelp(b, 'meanwhile')).status).toBe(200);
    expect(await slow.closed).toBe(true);
  });

  it('given a client that sends its body a byte at a time, then it is cut off with 408 and others are served meanwhile', async () => {
    const b = await start({ httpTimeouts: { headersMs: 500, requestMs: 1_000 } });
    const slow = await dribble(
      b.adapter.port ?? 0,
      'POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ncommand=',
    );
    expect((await signedHelp(b, 'meanwhile')).status).toBe(200);
    expect(await slow.closed).toBe(true);
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408/);
  });
});

/**
 * A raw TCP client that sends `start`, then one more byte every 100 ms for as long as the server keeps the
 * connection; `closed` resolves true once the server closes it (false if it never does within 10 s).
 */
async function dribble(port: number, start: string): Promise<{ closed: Promise<boolean>; received(): string }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString()));
  socket.on('error', () => undefined);
  socket.write(start);
  const drip = setInterval(() => {
    if (!socket.destroyed) socket.write('a');
  }, 100);
  const closed = new Promise<boolean>((resolve) => {
    const giveUp = setTimeout(() => resolve(false), 10_000);
    socket.once('close', () => {
      clearTimeout(giveUp);
      resolve(true);
    });
  }).finally(() => {
    clearInterval(drip);
    socket.destroy();
  });
  return { closed, received: () => received };
}

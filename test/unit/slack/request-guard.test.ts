import { describe, expect, it } from 'vitest';
import { RequestGuard } from '../../../src/adapters/slack/request-guard.js';
import { slackSignature } from '../../helpers/slack-test-bed.js';

const secret = 'guard-secret';
const now = Date.UTC(2026, 10, 30, 12, 0, 0);
const body = Buffer.from('command=%2Fhelp&text=');

function headers(
  timestamp: number,
  signature = slackSignature(secret, timestamp, body.toString()),
): Record<string, string> {
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature };
}

describe('the HTTP request guard', async () => {
  const seconds = now / 1000;

  it('given a signed request inside the window either way, when checked, then it passes', async () => {
    const guard = new RequestGuard({ signingSecret: secret, now: () => now });
    expect(await guard.check(headers(seconds - 300), body)).toEqual({ ok: true });
    expect(await guard.check(headers(seconds + 300), body)).toEqual({ ok: true });
  });

  it('given a timestamp just outside the window, when checked, then it is stale or future', async () => {
    const guard = new RequestGuard({ signingSecret: secret, now: () => now });
    expect(await guard.check(headers(seconds - 301), body)).toEqual({ ok: false, reason: 'stale' });
    expect(await guard.check(headers(seconds + 301), body)).toEqual({ ok: false, reason: 'future' });
  });

  it('given missing or malformed headers, or another body, when checked, then it is refused', async () => {
    const guard = new RequestGuard({ signingSecret: secret, now: () => now });
    expect(await guard.check({}, body)).toEqual({ ok: false, reason: 'unsigned' });
    expect(await guard.check(headers(seconds, 'v0=abc'), body)).toEqual({ ok: false, reason: 'unsigned' });
    expect(await guard.check(headers(seconds), Buffer.from('command=%2Fdestroy'))).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('given a signature already accepted, when it comes again, then it is a replay until its timestamp leaves the window', async () => {
    let clock = now;
    const guard = new RequestGuard({ signingSecret: secret, now: () => clock });
    const replayed = headers(seconds);
    expect(await guard.check(replayed, body)).toEqual({ ok: true });
    expect(await guard.check(replayed, body)).toEqual({ ok: false, reason: 'replay' });
    clock += 301_000;
    expect(await guard.check(replayed, body)).toEqual({ ok: false, reason: 'stale' });
  });

  it('given a forged signature, when the genuine request follows, then the genuine one passes (forgeries are not remembered)', async () => {
    const guard = new RequestGuard({ signingSecret: secret, now: () => now });
    const genuine = headers(seconds);
    expect(await guard.check(genuine, Buffer.from('other body'))).toEqual({ ok: false, reason: 'bad-signature' });
    expect(await guard.check(genuine, body)).toEqual({ ok: true });
  });
});

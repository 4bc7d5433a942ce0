import { describe, expect, it } from 'vitest';
import { pollUntil } from '../../../src/core/poll-until.js';

describe('pollUntil', () => {
  it('given a condition that comes true on the third attempt, then it stops there and returns that result', async () => {
    let attempts = 0;
    const result = await pollUntil(
      async () => ++attempts,
      (n) => n === 3,
      { withinMs: 10_000, everyMs: 1 },
    );
    expect(result).toBe(3);
    expect(attempts).toBe(3);
  });

  it('given a condition that never comes true, then it gives up once the window has passed and returns the last result', async () => {
    let attempts = 0;
    const result = await pollUntil(
      async () => `problem ${++attempts}`,
      () => false,
      { withinMs: 30, everyMs: 5 },
    );
    expect(attempts).toBeGreaterThan(1);
    expect(result).toBe(`problem ${attempts}`);
  });
});

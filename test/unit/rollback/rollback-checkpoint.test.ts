import { describe, expect, it } from 'vitest';
import {
  describeRollbackCheckpoint,
  describeRollbackProgress,
  resumePoint,
} from '../../../src/rollback/rollback-checkpoint.js';

describe('a rollback run read back after a crash', () => {
  const midStep = {
    done: 4,
    step: 5,
    title: 'Stop window-post-miner (window-post)',
    check: 'no lotus-miner run process of window-post-miner on post-2, and its API does not answer',
    phase: 'running',
  };

  it('given a step under way, then the person is told it may or may not have happened and what to check, and the run resumes at it', () => {
    expect(describeRollbackCheckpoint(midStep)).toBe(
      'Steps 1–4 are done. Step 5 (Stop window-post-miner (window-post)) may or may not have happened: check no lotus-miner run process of window-post-miner on post-2, and its API does not answer. On confirm the bot checks it first and runs it only if that check does not pass yet.',
    );
    expect(resumePoint(midStep)).toEqual({ next: 5, uncertain: 5 });
  });

  it('given a step finished and the next not started, then the run resumes at the next one with nothing uncertain', () => {
    expect(describeRollbackCheckpoint({ done: 4 })).toBe('Steps 1–4 are done; the next step had not started.');
    expect(resumePoint({ done: 4 })).toEqual({ next: 5 });
  });

  it('given the journal of a run cut off in step 3, then the notice lists the steps done and the one under way', () => {
    const entry = (data: Record<string, unknown>) => ({
      at: 0,
      principal: 'terminal:alice',
      approvalId: 'K7M2Q9',
      data,
    });
    const blocks = describeRollbackProgress([
      entry({ phase: 'step-started', step: 1, title: 'Stop new pledges' }),
      entry({ phase: 'step-done', step: 1, title: 'Stop new pledges' }),
      entry({ phase: 'step-started', step: 2, title: 'Check the chain' }),
      entry({ phase: 'step-done', step: 2, title: 'Check the chain' }),
      entry({ phase: 'step-started', step: 3, title: 'Stop winning-post-miner (winning-post)' }),
    ]);
    expect(blocks).toEqual([
      { kind: 'text', text: 'Steps done before it stopped: 1. Stop new pledges; 2. Check the chain.' },
      { kind: 'notice', severity: 'warning', text: 'Step 3 (Stop winning-post-miner (winning-post)) was under way.' },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { type RobotNoteKind, robotAlertView, robotNote } from '../../../src/alerts/robot-texts.js';
import type { AlertRecord } from '../../../src/store/store.js';

const NOON = Date.UTC(2026, 10, 30, 12, 0, 0);
const alert: AlertRecord = {
  id: 'A7',
  key: 'funds:f01000/worker',
  check: 'funds',
  subject: 'f01000/worker',
  severity: 'critical',
  status: 'firing',
  summary: 'f01000 worker address f01002 holds 0 FIL',
  detail: '',
  actor: 'f01000',
  cause: null,
  firstSeen: NOON,
  lastSeen: NOON,
  lastChange: NOON,
  resolvedAt: null,
  ackedBy: null,
  ackedAt: null,
  silencedUntil: NOON + 3_600_000,
  silencedBy: 'slack:UALICE',
  silenceReason: 'topping up',
  notifiedAt: NOON,
  flaps: 2,
  groupId: null,
};

const notes: RobotNoteKind[] = [
  { kind: 'changed', from: 'warning' },
  { kind: 'renotified', forMs: 35 * 60_000 },
  { kind: 'resolved', afterMs: 5 * 60_000 },
  { kind: 'refired' },
  { kind: 'acked', by: 'slack:UALICE' },
  { kind: 'silenced', by: 'slack:UALICE' },
  { kind: 'unsilenced', by: 'slack:UALICE' },
];

describe('robot texts in English and Chinese', () => {
  it('given each change, then both languages quote the alert id, and the Chinese differs from the English', () => {
    for (const note of notes) {
      const en = robotNote(alert, note, 'en');
      const zh = robotNote(alert, note, 'zh');
      expect(en.title).toMatch(/^A7 /);
      expect(zh.title).toMatch(/^A7 /);
      expect(zh.title).not.toBe(en.title);
      expect(zh.title).toMatch(/[\u4e00-\u9fff]/);
    }
    expect(robotNote(alert, notes[0] as RobotNoteKind, 'zh').title).toBe('A7 级别变为严重 (警告 → 严重)');
    expect(robotNote(alert, notes[0] as RobotNoteKind, 'en').title).toBe('A7 is now CRITICAL (Warning → CRITICAL)');
    expect(robotNote(alert, notes[5] as RobotNoteKind, 'zh').title).toBe(
      'A7 已由 slack:UALICE 静默至 2026-11-30 13:00 UTC',
    );
  });

  it('given a firing alert, then its first robot message names the check, the miner and how to ack from chat, in the route’s language', () => {
    const zh = robotAlertView(alert, 'zh');
    expect(zh.title).toBe('严重 A7: f01000 worker address f01002 holds 0 FIL');
    expect(JSON.stringify(zh.blocks)).toContain('矿工: f01000');
    expect(JSON.stringify(zh.blocks)).toContain('/alerts ack A7');
    expect(zh.actions).toBeUndefined();
    const en = robotAlertView({ ...alert, status: 'resolved', resolvedAt: NOON + 60_000 }, 'en');
    expect(en.title).toBe('Resolved A7: f01000 worker address f01002 holds 0 FIL');
    expect(en.severity).toBe('success');
    expect(JSON.stringify(en.blocks)).not.toContain('/alerts ack');
  });
});

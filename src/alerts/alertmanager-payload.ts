import { z } from 'zod';

/**
 * Alertmanager's webhook body, version 4 (its webhook_config docs): the notification of one alert group, with every
 * alert of the group at that moment (firing ones, and resolved ones when send_resolved is on), unless max_alerts cut
 * the list (`truncatedAlerts` says how many were left out). Unknown fields are kept out of the way, not refused: newer
 * Alertmanagers add some.
 */
const labelSet = z.record(z.string().max(1024), z.string().max(16 * 1024));

const alertSchema = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet,
  annotations: labelSet.default({}),
  startsAt: z.string(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  /** Alertmanager's hash of the labels (16 hex digits): the same alert from notification to notification. */
  fingerprint: z.string().regex(/^[0-9a-f]{1,64}$/, { error: 'must be the hex fingerprint Alertmanager sends' }),
});

export const webhookPayloadSchema = z.looseObject({
  version: z.literal('4', { error: 'only version 4 of the webhook payload is understood' }),
  groupKey: z
    .string()
    .min(1)
    .max(8 * 1024),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labelSet.default({}),
  commonLabels: labelSet.default({}),
  commonAnnotations: labelSet.default({}),
  externalURL: z.string().optional(),
  alerts: z.array(alertSchema).max(5_000),
});

export type WebhookPayload = z.output<typeof webhookPayloadSchema>;
export type WebhookAlert = WebhookPayload['alerts'][number];

import type { Clock } from '../../src/core/clock.js';
import { countWithin, record, startWebhookFakeServer, type WebhookFakeServer } from './webhook-fake-server.js';

/**
 * PagerDuty's Events API v2 as documented: POST /v2/enqueue with `routing_key` (32 characters), `event_action`
 * (trigger, acknowledge, resolve) and `dedup_key` (≤ 255, required but for a trigger); a trigger needs `payload` with
 * `summary` (≤ 1024), `source` and `severity` (critical, error, warning, info). 202 {"status":"success",
 * "message":"Event processed","dedup_key"}; 400 {"status":"invalid event","message":"Event object is invalid",
 * "errors":[…]}; 429 past its rate limit (120 events a minute per routing key). It keeps each dedup key's incident.
 */
export interface PagerDutyFake {
  url: string;
  routingKey: string;
  events: Array<{ action: string; dedupKey: string; summary?: string; severity?: string }>;
  /** dedup key → the incident's state. */
  incidents: Map<string, 'triggered' | 'acknowledged' | 'resolved'>;
  refusals: Array<{ status: number; errors: string[] }>;
  server: WebhookFakeServer;
  usedElsewhere(count: number): void;
  close(): Promise<void>;
}

export const PAGERDUTY_ROUTING_KEY = 'R0ut1ngKeyF0rTheLotusCluster0001';

export async function startPagerDutyFake(options: { clock: Clock }): Promise<PagerDutyFake> {
  const events: PagerDutyFake['events'] = [];
  const incidents: PagerDutyFake['incidents'] = new Map();
  const refusals: PagerDutyFake['refusals'] = [];
  const sent: number[] = [];
  const invalid = (errors: string[]) => {
    refusals.push({ status: 400, errors });
    return { status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors } };
  };
  const server = await startWebhookFakeServer((req) => {
    if (req.method !== 'POST' || req.url.pathname !== '/v2/enqueue') return { status: 404 };
    const body = record(req.body);
    if (!body) return invalid(['Event object is not JSON']);
    const errors: string[] = [];
    if (typeof body.routing_key !== 'string' || body.routing_key.length !== 32)
      errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");
    const action = body.event_action;
    if (action !== 'trigger' && action !== 'acknowledge' && action !== 'resolve')
      errors.push("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)");
    const dedup = body.dedup_key;
    if (dedup !== undefined && (typeof dedup !== 'string' || dedup.length > 255))
      errors.push("'dedup_key' must be a string of at most 255 characters");
    if (action !== 'trigger' && typeof dedup !== 'string') errors.push("'dedup_key' is required for this action");
    const payload = record(body.payload);
    if (action === 'trigger') {
      if (!payload) errors.push("'payload' is missing or not an object");
      else {
        if (typeof payload.summary !== 'string' || payload.summary === '' || payload.summary.length > 1024)
          errors.push("'payload.summary' is missing or longer than 1024 characters");
        if (typeof payload.source !== 'string' || payload.source === '') errors.push("'payload.source' is missing");
        if (!['critical', 'error', 'warning', 'info'].includes(String(payload.severity)))
          errors.push("'payload.severity' is invalid (must be one of: critical, error, warning, info)");
      }
    }
    if (errors.length > 0) return invalid(errors);
    if (body.routing_key !== PAGERDUTY_ROUTING_KEY) return invalid(['Routing key is not valid for any integration']);
    const now = options.clock.now();
    if (countWithin(sent, now, 60_000) >= 120) {
      refusals.push({ status: 429, errors: [] });
      return { status: 429 };
    }
    sent.push(now);
    const key = typeof dedup === 'string' ? dedup : `generated-${events.length + 1}`;
    events.push({
      action: String(action),
      dedupKey: key,
      ...(payload ? { summary: String(payload.summary), severity: String(payload.severity) } : {}),
    });
    const state = incidents.get(key);
    if (action === 'trigger' && state !== 'acknowledged') incidents.set(key, 'triggered');
    if (action === 'acknowledge' && state === 'triggered') incidents.set(key, 'acknowledged');
    if (action === 'resolve' && state !== undefined) incidents.set(key, 'resolved');
    return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: key } };
  });
  return {
    url: `${server.origin}/v2/enqueue`,
    routingKey: PAGERDUTY_ROUTING_KEY,
    events,
    incidents,
    refusals,
    server,
    usedElsewhere(count) {
      for (let i = 0; i < count; i++) sent.push(options.clock.now());
    },
    close: () => server.close(),
  };
}

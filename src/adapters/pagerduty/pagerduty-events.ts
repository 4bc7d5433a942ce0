import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { PageEvent, Pager } from '../../core/pager.js';
import type { HealthReporter } from '../../net/connection-health.js';
import { DeliveryError, DeliveryQueue } from '../../net/delivery-queue.js';
import type { PlatformFetch } from '../../net/platform-transport.js';

/** A PagerDuty Events API v2 integration, with its routing key read from the environment. */
export interface PagerDutyService {
  name: string;
  routingKey: string;
  /** …/v2/enqueue */
  url: string;
}

export interface PagerDutyEventsOptions {
  services: readonly PagerDutyService[];
  /** The platforms' transport: the proxy settings Slack and Discord use. */
  fetch: PlatformFetch;
  clock: Clock;
  log: Logger;
  timeoutMs?: number;
  /** Each service's deliveries, for /health: `pagerduty:oncall`. */
  health?(destination: string): HealthReporter;
}

/** The Events API takes summaries of at most 1024 characters and dedup keys of at most 255. */
const SUMMARY_MAX = 1024;
const DEDUP_MAX = 255;

/**
 * PagerDuty's Events API v2: POST /v2/enqueue with the routing key, `event_action` (trigger, acknowledge, resolve) and
 * the `dedup_key` that ties the three to one incident; a trigger carries the payload (summary, source, severity). It
 * answers 202 {"status":"success","dedup_key"}; 400 {"status":"invalid event","errors":[…]} is a refusal, 429 asks to
 * slow down, 5xx to try again. Events to one service keep their order (a resolve never overtakes its trigger) and stay
 * inside the documented 120 events a minute per routing key.
 */
export class PagerDutyEvents implements Pager {
  private readonly services: Map<string, PagerDutyService>;
  private readonly queue: DeliveryQueue<PageEvent>;

  constructor(private readonly options: PagerDutyEventsOptions) {
    this.services = new Map(options.services.map((s) => [s.name, s]));
    const health = options.health?.bind(options);
    this.queue = new DeliveryQueue<PageEvent>({
      platform: 'pagerduty',
      clock: options.clock,
      log: options.log,
      windows: [{ max: 120, perMs: 60_000 }],
      rateLimitedBackoffMs: 60_000,
      // Every event matters to the incident's state: many may wait.
      capacity: 1_000,
      deliver: (name, event) => this.deliver(name, event),
      describe: (event) => `${event.action} ${event.dedupKey}`,
      ...(health ? { health: (name: string) => health(`pagerduty:${name}`) } : {}),
    });
  }

  get waiting(): number {
    return this.queue.waiting;
  }

  serves(service: string): boolean {
    return this.services.has(service);
  }

  async send(service: string, event: PageEvent): Promise<void> {
    if (!this.services.has(service)) {
      this.options.log.warn({ service }, 'no PagerDuty service of that name; the event is not sent');
      return;
    }
    await this.queue.enqueue(service, event);
  }

  flush(): Promise<void> {
    return this.queue.flush();
  }

  abandon(): void {
    this.queue.abandon();
  }

  private async deliver(name: string, event: PageEvent): Promise<void> {
    const service = this.services.get(name) as PagerDutyService;
    let response: Awaited<ReturnType<PlatformFetch>>;
    try {
      response = await this.options.fetch(service.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(eventBody(service.routingKey, event, this.options.clock.now())),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new DeliveryError('unreachable', `PagerDuty could not be reached: ${cause}`);
    }
    const text = await response.text().catch(() => '');
    if (response.status === 429) throw new DeliveryError('rate-limited', 'PagerDuty answered HTTP 429');
    if (response.status >= 500) throw new DeliveryError('unreachable', `PagerDuty answered HTTP ${response.status}`);
    if (response.status < 200 || response.status >= 300)
      throw new DeliveryError(
        'refused',
        `PagerDuty refused the ${event.action} (HTTP ${response.status}): ${errorsIn(text)}`,
      );
  }
}

function eventBody(routingKey: string, event: PageEvent, now: number): Record<string, unknown> {
  return {
    routing_key: routingKey,
    event_action: event.action,
    dedup_key: event.dedupKey.slice(0, DEDUP_MAX),
    client: 'lotus-chatops',
    ...(event.action === 'trigger'
      ? {
          payload: {
            summary: event.summary.slice(0, SUMMARY_MAX),
            source: event.source,
            severity: event.severity,
            timestamp: new Date(now).toISOString(),
            ...(event.component ? { component: event.component } : {}),
            ...(event.group ? { group: event.group } : {}),
            ...(event.details ? { custom_details: event.details } : {}),
          },
        }
      : {}),
  };
}

/** The `errors` of a 400 answer, short. */
function errorsIn(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; errors?: unknown };
    const errors = Array.isArray(body.errors) ? body.errors.filter((e) => typeof e === 'string') : [];
    return [typeof body.message === 'string' ? body.message : '', ...errors].filter(Boolean).join('; ').slice(0, 300);
  } catch {
    return text.slice(0, 200);
  }
}

import { z } from 'zod';
import { firstLine, OpsError } from '../core/errors.js';

/** Alertmanager's API v2 calls get this long each; it is next to the bot, not across the world. */
const TIMEOUT_MS = 10_000;

/** The parts of GET /api/v2/alerts (gettableAlerts) read here. */
const gettableAlerts = z.array(z.looseObject({ fingerprint: z.string(), labels: z.record(z.string(), z.string()) }));
/** POST /api/v2/silences answers { silenceID }. */
const postSilenceAnswer = z.looseObject({
  silenceID: z.string().regex(/^[0-9a-fA-F-]{1,64}$/, { error: 'not a silence id' }),
});

export interface SilenceRequest {
  fingerprint: string;
  endsAt: number;
  now: number;
  createdBy: string;
  comment: string;
}

/**
 * Creates, in Alertmanager, the silence that matches one of its alerts: the alert's labels as it knows them now
 * (GET /api/v2/alerts, found by fingerprint), each an exact matcher, from now until `endsAt` (POST /api/v2/silences).
 * Returns the new silence's id.
 */
export async function createAlertmanagerSilence(
  apiUrl: string,
  request: SilenceRequest,
  fetchImpl: typeof globalThis.fetch = globalThis.fetch,
): Promise<string> {
  const base = apiUrl.replace(/\/+$/, '');
  const alerts = gettableAlerts.parse(await call(fetchImpl, `${base}/api/v2/alerts`, { method: 'GET' }), {
    error: () => 'GET /api/v2/alerts did not answer a list of alerts',
  });
  const alert = alerts.find((a) => a.fingerprint === request.fingerprint);
  if (!alert) throw new OpsError('ALERTMANAGER_ALERT_GONE', { fingerprint: request.fingerprint });
  const matchers = Object.entries(alert.labels).map(([name, value]) => ({
    name,
    value,
    isRegex: false,
    isEqual: true,
  }));
  const body = {
    matchers,
    startsAt: new Date(request.now).toISOString(),
    endsAt: new Date(request.endsAt).toISOString(),
    createdBy: request.createdBy,
    comment: request.comment,
  };
  const answer = await call(fetchImpl, `${base}/api/v2/silences`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const parsed = postSilenceAnswer.safeParse(answer);
  if (!parsed.success)
    throw new OpsError('ALERTMANAGER_API_FAILED', {
      call: 'POST /api/v2/silences',
      detail: 'no silenceID in the answer',
    });
  return parsed.data.silenceID;
}

/** Ends a silence this bot made in Alertmanager (DELETE /api/v2/silence/{silenceID}). */
export async function expireAlertmanagerSilence(
  apiUrl: string,
  silenceId: string,
  fetchImpl: typeof globalThis.fetch = globalThis.fetch,
): Promise<void> {
  if (!/^[0-9a-fA-F-]{1,64}$/.test(silenceId))
    throw new OpsError('ALERTMANAGER_API_FAILED', { call: 'DELETE /api/v2/silence', detail: 'not a silence id' });
  await call(fetchImpl, `${apiUrl.replace(/\/+$/, '')}/api/v2/silence/${silenceId}`, { method: 'DELETE' }, false);
}

async function call(fetchImpl: typeof globalThis.fetch, url: string, init: RequestInit, json = true): Promise<unknown> {
  const what = `${init.method} ${new URL(url).pathname}`;
  let response: Response;
  try {
    response = await fetchImpl(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    const detail = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : '';
    throw new OpsError('ALERTMANAGER_API_FAILED', { call: what, detail: firstLine(detail) }, { cause: error });
  }
  const text = await response.text();
  if (!response.ok)
    throw new OpsError('ALERTMANAGER_API_FAILED', {
      call: what,
      detail: `HTTP ${response.status}${text.trim() ? `: ${firstLine(text.trim()).slice(0, 200)}` : ''}`,
    });
  if (!json) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new OpsError('ALERTMANAGER_API_FAILED', { call: what, detail: 'the answer is not JSON' });
  }
}

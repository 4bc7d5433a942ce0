import { PayloadRefused } from '../alerts/alertmanager-receiver.js';
import type { App } from '../app.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { authorized, type ExpectedCredentials } from '../net/http-auth.js';
import { type HttpListener, type HttpRoute, startHttpListener } from '../net/http-listener.js';
import type { PrometheusMetrics } from '../net/prometheus-metrics.js';

export interface BotHttpOptions {
  config: Pick<Config, 'http' | 'metrics' | 'alertmanager'>;
  app: Pick<App, 'alertmanager'>;
  /** The registry /metrics renders (when metrics.enabled). */
  metrics?: PrometheusMetrics;
  /** Where the receiver's requests are counted (the same metrics, or nothing). */
  counts?: Metrics;
  log: Logger;
}

/**
 * The bot's HTTP listener for what its monitoring talks to: GET /metrics (metrics.enabled) and POST /alertmanager
 * (alertmanager.enabled). Nothing listens when both are off.
 */
export async function startBotHttp(options: BotHttpOptions): Promise<HttpListener | undefined> {
  const { config, log } = options;
  const routes: HttpRoute[] = [];
  if (config.metrics.enabled && options.metrics) {
    const metrics = options.metrics;
    routes.push({
      method: 'GET',
      path: '/metrics',
      handle: async () => ({ status: 200, body: await metrics.render(), contentType: metrics.contentType }),
    });
  }
  const receiver = options.app.alertmanager;
  if (config.alertmanager.enabled && receiver) {
    const am = config.alertmanager;
    const expected: ExpectedCredentials = am.basicAuth
      ? { kind: 'basic', ...am.basicAuth }
      : { kind: 'bearer', token: am.token ?? '' };
    const count = (outcome: string) => options.counts?.alertmanagerRequest(outcome);
    const amLog = log.child({ component: 'alertmanager' });
    routes.push({
      method: 'POST',
      path: '/alertmanager',
      async handle(request) {
        // An empty secret would let anyone in; the config check refuses it, and so does this.
        if ((expected.kind === 'bearer' && !expected.token) || !authorized(request.headers.authorization, expected)) {
          count('unauthorized');
          // Only the kind of credentials sent, never what they were: a near miss of the real token is nearly the token.
          amLog.warn(
            { sent: credentialKind(request.headers.authorization) },
            'refused an Alertmanager request without valid credentials',
          );
          return {
            status: 401,
            body: 'unauthorized\n',
            headers: { 'www-authenticate': expected.kind === 'bearer' ? 'Bearer' : 'Basic realm="lotus-chatops"' },
          };
        }
        let body: Buffer;
        try {
          body = await request.body(am.maxBodyBytes);
        } catch (error) {
          count('too-large');
          throw error;
        }
        let json: unknown;
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          count('invalid');
          return { status: 400, body: 'the body is not JSON\n' };
        }
        try {
          const outcome = await receiver.receive(json);
          count('accepted');
          amLog.info(outcome, 'Alertmanager notification applied');
          return {
            status: 200,
            body: `${JSON.stringify({ status: 'ok', ...outcome })}\n`,
            contentType: 'application/json',
          };
        } catch (error) {
          if (!(error instanceof PayloadRefused)) {
            count('failed');
            throw error;
          }
          count('invalid');
          return { status: 400, body: `not an Alertmanager webhook notification: ${error.message}\n` };
        }
      },
    });
  }
  if (routes.length === 0) return undefined;
  return startHttpListener({
    host: config.http.host,
    port: config.http.port,
    routes,
    log: log.child({ component: 'http' }),
  });
}

function credentialKind(header: string | undefined): string {
  if (header === undefined) return 'none';
  const scheme = header.split(' ')[0]?.toLowerCase();
  return scheme === 'bearer' || scheme === 'basic' ? scheme : 'other';
}

import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for Prometheus's Alertmanager, built from its published API v2 description (openapi.yaml) and
 * its webhook_config documentation: it holds alerts, sends the webhook notification (payload version 4) of one alert
 * group to a receiver with the Authorization header its http_config would send, answers GET /api/v2/alerts with
 * gettableAlerts, and takes POST /api/v2/silences (postableSilence: matchers, at least one, each with name, value and
 * isRegex; startsAt, endsAt, createdBy and comment required), answering 400 with a text body for anything else, and
 * DELETE /api/v2/silence/{silenceID} (expires it; 404 for an unknown id, 500 for one already expired).
 */
export interface FakeAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt: string;
  status: 'firing' | 'resolved';
  endsAt?: string;
}

export interface PostedSilence {
  matchers: Array<{ name: string; value: string; isRegex: boolean; isEqual?: boolean }>;
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

export class FakeAlertmanager {
  readonly silences: Array<PostedSilence & { id: string; state: 'active' | 'expired' }> = [];
  readonly alerts = new Map<string, FakeAlert>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeAlertmanager> {
    let fake: FakeAlertmanager | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answer = fake?.handle(req.method ?? '', (req.url ?? '').split('?')[0] ?? '', Buffer.concat(chunks));
        res.writeHead(answer?.status ?? 500, { 'content-type': answer?.type ?? 'text/plain' });
        res.end(answer?.body ?? '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeAlertmanager(server, `http://127.0.0.1:${port}`);
    return fake;
  }

  /** Raises or updates an alert; its fingerprint, as Alertmanager's, is a hash of its labels. */
  fire(
    labels: Record<string, string>,
    annotations: Record<string, string> = {},
    startsAt = '2026-11-30T11:55:00Z',
  ): string {
    const fingerprint = fingerprintOf(labels);
    this.alerts.set(fingerprint, { labels, annotations, startsAt, status: 'firing' });
    return fingerprint;
  }

  resolve(fingerprint: string, endsAt = '2026-11-30T12:10:00Z'): void {
    const alert = this.alerts.get(fingerprint);
    if (alert) this.alerts.set(fingerprint, { ...alert, status: 'resolved', endsAt });
  }

  /**
   * The webhook body of one group, as Alertmanager sends it: every alert of the group, firing and resolved
   * (send_resolved), `truncatedAlerts` when max_alerts cut the list.
   */
  notification(
    group: { key: string; labels: Record<string, string> },
    fingerprints: readonly string[],
    options: { truncatedAlerts?: number } = {},
  ): Record<string, unknown> {
    const alerts = fingerprints.map((fp) => {
      const a = this.alerts.get(fp);
      if (!a) throw new Error(`no alert ${fp}`);
      return {
        status: a.status,
        labels: a.labels,
        annotations: a.annotations ?? {},
        startsAt: a.startsAt,
        endsAt: a.endsAt ?? '0001-01-01T00:00:00Z',
        generatorURL: `http://prometheus.example:9090/graph?g0.expr=${encodeURIComponent(a.labels.alertname ?? '')}`,
        fingerprint: fp,
      };
    });
    const common = (key: 'labels' | 'annotations') =>
      Object.fromEntries(
        Object.entries(alerts[0]?.[key] ?? {}).filter(([k, v]) => alerts.every((a) => a[key][k] === v)),
      );
    return {
      receiver: 'lotus-chatops',
      status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
      alerts,
      groupLabels: group.labels,
      commonLabels: common('labels'),
      commonAnnotations: common('annotations'),
      externalURL: this.url,
      version: '4',
      groupKey: group.key,
      truncatedAlerts: options.truncatedAlerts ?? 0,
    };
  }

  /** POSTs a notification to a receiver as the webhook_config's http_config would (authorization or basic_auth). */
  async send(
    receiverUrl: string,
    body: unknown,
    auth: { bearer?: string; basic?: { username: string; password: string } } = {},
  ): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Alertmanager/0.28.1' };
    if (auth.bearer !== undefined) headers.authorization = `Bearer ${auth.bearer}`;
    if (auth.basic)
      headers.authorization = `Basic ${Buffer.from(`${auth.basic.username}:${auth.basic.password}`).toString('base64')}`;
    const response = await fetch(receiverUrl, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, text: await response.text() };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(method: string, path: string, body: Buffer): { status: number; body: string; type?: string } {
    const json = (value: unknown) => ({ status: 200, body: JSON.stringify(value), type: 'application/json' });
    if (method === 'GET' && path === '/api/v2/alerts') {
      return json(
        [...this.alerts]
          .filter(([, a]) => a.status === 'firing')
          .map(([fingerprint, a]) => ({
            labels: a.labels,
            annotations: a.annotations ?? {},
            receivers: [{ name: 'lotus-chatops' }],
            fingerprint,
            startsAt: a.startsAt,
            updatedAt: a.startsAt,
            endsAt: '2026-11-30T13:00:00Z',
            status: { state: 'active', silencedBy: [], inhibitedBy: [] },
          })),
      );
    }
    if (method === 'POST' && path === '/api/v2/silences') {
      let silence: PostedSilence;
      try {
        silence = JSON.parse(body.toString('utf8')) as PostedSilence;
      } catch {
        return { status: 400, body: 'body is not JSON' };
      }
      const problem = silenceProblem(silence);
      if (problem) return { status: 400, body: problem };
      const id = randomUUID();
      this.silences.push({ ...silence, id, state: 'active' });
      return json({ silenceID: id });
    }
    if (method === 'DELETE' && path.startsWith('/api/v2/silence/')) {
      const silence = this.silences.find((x) => x.id === path.slice('/api/v2/silence/'.length));
      if (!silence) return { status: 404, body: '' };
      if (silence.state === 'expired') return { status: 500, body: 'silence already expired' };
      silence.state = 'expired';
      return { status: 200, body: '' };
    }
    return { status: 404, body: 'not found' };
  }
}

function silenceProblem(s: PostedSilence): string | undefined {
  for (const field of ['startsAt', 'endsAt', 'createdBy', 'comment'] as const)
    if (typeof s[field] !== 'string') return `${field} in body is required`;
  if (!Array.isArray(s.matchers) || s.matchers.length === 0) return 'matchers in body should have at least 1 items';
  for (const m of s.matchers)
    if (typeof m.name !== 'string' || typeof m.value !== 'string' || typeof m.isRegex !== 'boolean')
      return 'matchers.name, matchers.value and matchers.isRegex in body are required';
  if (Number.isNaN(Date.parse(s.startsAt)) || Number.isNaN(Date.parse(s.endsAt)))
    return 'startsAt and endsAt must be date-times';
  if (Date.parse(s.endsAt) <= Date.parse(s.startsAt))
    return 'Failed to create silence: end time must not be before start';
  return undefined;
}

/** FNV-1a over the sorted labels, 64 bits as 16 hex digits: the shape of Alertmanager's fingerprints. */
function fingerprintOf(labels: Record<string, string>): string {
  let hash = 0xcbf29ce484222325n;
  for (const [k, v] of Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))
    for (const byte of Buffer.from(`${k}\u00ff${v}\u00ff`, 'utf8')) {
      hash ^= BigInt(byte);
      hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
    }
  return hash.toString(16).padStart(16, '0');
}

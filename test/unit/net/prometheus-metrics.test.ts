import { describe, expect, it } from 'vitest';
import type { ChannelPoster } from '../../../src/core/channel-poster.js';
import { FakeClock } from '../../../src/core/clock.js';
import { OpsError } from '../../../src/core/errors.js';
import { ConnectionHealth } from '../../../src/net/connection-health.js';
import { OutboxPoster } from '../../../src/net/outbox-poster.js';
import { createPrometheusMetrics } from '../../../src/net/prometheus-metrics.js';
import { parsePrometheusText, sampleValue } from '../../helpers/prometheus-text.js';
import { captureLog } from '../../helpers/runtime-harness.js';

describe('the Prometheus text parser the tests read /metrics with', () => {
  it('given a well-formed exposition, then it reads names, types, escaped labels, special values and timestamps', () => {
    const families = parsePrometheusText(
      [
        '# HELP x_total Things, with a \\\\ and a\\nnewline',
        '# TYPE x_total counter',
        'x_total{path="C:\\\\dir",quote="say \\"hi\\"",nl="a\\nb"} 3 1700000000000',
        'x_total{path="other",} 1e3',
        '# a comment',
        '# TYPE y gauge',
        'y NaN',
        'y{side="low"} -Inf',
        '# TYPE h histogram',
        'h_bucket{le="1"} 1',
        'h_bucket{le="+Inf"} 2',
        'h_sum 3.5',
        'h_count 2',
        '',
      ].join('\n'),
    );
    const x = families.get('x_total');
    expect(x?.type).toBe('counter');
    expect(x?.help).toBe('Things, with a \\ and a\nnewline');
    expect(x?.samples[0]).toEqual({
      name: 'x_total',
      labels: { path: 'C:\\dir', quote: 'say "hi"', nl: 'a\nb' },
      value: 3,
      timestampMs: 1700000000000,
    });
    expect(sampleValue(families, 'x_total', { path: 'other' })).toBe(1000);
    expect(sampleValue(families, 'y')).toBeNaN();
    expect(sampleValue(families, 'y', { side: 'low' })).toBe(Number.NEGATIVE_INFINITY);
    expect(sampleValue(families, 'h_count')).toBe(2);
  });

  it.each([
    ['a metric name with a dash', 'bad-name 1\n'],
    ['an unterminated label value', 'x{a="b} 1\n'],
    ['an unknown escape', 'x{a="\\t"} 1\n'],
    ['a value that is not a float', 'x 1,5\n'],
    ['a reserved label name', 'x{__name__="y"} 1\n'],
    ['no line feed at the end', 'x 1'],
    ['a family split in two', '# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\nx{a="b"} 2\n'],
    ['a TYPE after the samples', 'x 1\n# TYPE x gauge\n'],
    ['the same sample twice', 'x{a="1"} 1\nx{a="1"} 2\n'],
    ['a negative counter', '# TYPE x counter\nx -1\n'],
    [
      'buckets that are not cumulative',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    ],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ['a +Inf bucket that is not the count', '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 2\n'],
  ])('given %s, then it refuses the exposition', (_what, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});

describe('the bot’s metrics registry', () => {
  it('given the chat platforms’ health, when scraped, then each platform’s link state and outbox depth are read at that moment', async () => {
    const clock = new FakeClock();
    const health = new ConnectionHealth({ clock, log: captureLog().log });
    const metrics = createPrometheusMetrics({ processMetrics: false });
    metrics.watch({ health });
    const slack = health.reporter('slack');
    const discord = health.reporter('discord');
    slack.state('connected');
    discord.state('down', { hop: 'gateway', detail: 'closed' });
    discord.outbox(3, 0);
    let families = parsePrometheusText(await metrics.render());
    expect(sampleValue(families, 'lotus_chatops_chat_platform_up', { platform: 'slack' })).toBe(1);
    expect(sampleValue(families, 'lotus_chatops_chat_platform_up', { platform: 'discord' })).toBe(0);
    expect(sampleValue(families, 'lotus_chatops_chat_platform_state', { platform: 'discord', state: 'down' })).toBe(1);
    expect(
      sampleValue(families, 'lotus_chatops_chat_platform_state', { platform: 'discord', state: 'connected' }),
    ).toBe(0);
    expect(sampleValue(families, 'lotus_chatops_outbox_waiting', { platform: 'discord' })).toBe(3);

    discord.state('connected');
    discord.outbox(0, 0);
    families = parsePrometheusText(await metrics.render());
    expect(sampleValue(families, 'lotus_chatops_chat_platform_up', { platform: 'discord' })).toBe(1);
    expect(sampleValue(families, 'lotus_chatops_outbox_waiting', { platform: 'discord' })).toBe(0);
  });

  it('given an outbox that can hold one message, when a second waits, then the dropped one is counted for its platform', async () => {
    const metrics = createPrometheusMetrics({ processMetrics: false });
    const down: ChannelPoster = {
      platform: 'discord',
      post: async () => {
        throw new OpsError('PLATFORM_UNREACHABLE', { platform: 'Discord', hop: 'REST', detail: 'timeout' });
      },
      update: async () => undefined,
      replyInThread: async () => undefined,
    };
    const outbox = new OutboxPoster(down, { clock: new FakeClock(), log: captureLog().log, capacity: 1, metrics });
    await outbox.post({ platform: 'discord', id: '1' }, { title: 'first', blocks: [] });
    expect(
      sampleValue(parsePrometheusText(await metrics.render()), 'lotus_chatops_outbox_dropped_total', {
        platform: 'discord',
      }),
    ).toBeUndefined();
    await outbox.post({ platform: 'discord', id: '1' }, { title: 'second', blocks: [] });
    await outbox.flush();
    const families = parsePrometheusText(await metrics.render());
    expect(sampleValue(families, 'lotus_chatops_outbox_dropped_total', { platform: 'discord' })).toBe(1);
  });

  it('given alerts that fire, when scraped, then they are counted by severity and check, and a series that stops firing reads 0', async () => {
    const metrics = createPrometheusMetrics({ processMetrics: false });
    let firing = [
      { severity: 'critical', check: 'alertmanager' },
      { severity: 'critical', check: 'alertmanager' },
      { severity: 'warning', check: 'funds' },
    ];
    metrics.watch({ firingAlerts: async () => firing });
    let families = parsePrometheusText(await metrics.render());
    expect(sampleValue(families, 'lotus_chatops_alerts_firing', { severity: 'critical', check: 'alertmanager' })).toBe(
      2,
    );
    expect(sampleValue(families, 'lotus_chatops_alerts_firing', { severity: 'warning', check: 'funds' })).toBe(1);
    firing = [];
    families = parsePrometheusText(await metrics.render());
    expect(sampleValue(families, 'lotus_chatops_alerts_firing', { severity: 'critical', check: 'alertmanager' })).toBe(
      0,
    );
  });
});

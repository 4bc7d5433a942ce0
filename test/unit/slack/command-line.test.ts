import { describe, expect, it } from 'vitest';
import { slackClientOptions } from '../../../src/adapters/slack/client-options.js';
import { commandLine } from '../../../src/adapters/slack/command-handler.js';

describe('Slack command lines', () => {
  it('given one slash command per command, when /deadlines all arrives, then the command is deadlines', () => {
    expect(commandLine({ command: '/deadlines', text: ' all ' }, undefined)).toEqual({
      command: 'deadlines',
      text: 'all',
    });
  });

  it('given a single command, when /lotus pledge 3 mode=fill arrives, then the command is pledge with its arguments', () => {
    expect(commandLine({ command: '/lotus', text: 'pledge 3 mode=fill' }, 'lotus')).toEqual({
      command: 'pledge',
      text: '3 mode=fill',
    });
    expect(commandLine({ command: '/lotus', text: '/help' }, 'lotus')).toEqual({ command: 'help', text: '' });
  });

  it('given a single command, when it arrives bare, then it is /help', () => {
    expect(commandLine({ command: '/lotus', text: '  ' }, 'lotus')).toEqual({ command: 'help', text: '' });
  });
});

describe('Slack Web API client options', () => {
  it('given nothing, when options are built, then retries, timeout and rate-limit handling are explicit', () => {
    const options = slackClientOptions({});
    expect(options).toMatchObject({
      slackApiUrl: 'https://slack.com/api/',
      timeout: 10_000,
      rejectRateLimitedCalls: false,
    });
    expect(options.retryConfig?.retries).toBe(2);
    expect(options.fetch).toBeUndefined();
  });

  it('given an API URL without a trailing slash and a fetch, when options are built, then both are used', () => {
    const fetch = async (): Promise<never> => {
      throw new Error('unused');
    };
    const options = slackClientOptions({
      apiUrl: 'https://slack-gov.com/api',
      fetch,
      retryConfig: { retries: 0 },
      timeoutMs: 3_000,
    });
    expect(options).toMatchObject({
      slackApiUrl: 'https://slack-gov.com/api/',
      fetch,
      retryConfig: { retries: 0 },
      timeout: 3_000,
    });
  });

  it('builds a fresh retry policy each time, so a library writing into one cannot change another', () => {
    const a = slackClientOptions({});
    const b = slackClientOptions({});
    expect(a.retryConfig).not.toBe(b.retryConfig);
  });
});

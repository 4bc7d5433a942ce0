import { createHmac } from 'node:crypto';
import {
  type SlackAdapter,
  type SlackAdapterOptions,
  startSlackAdapter,
} from '../../src/adapters/slack/slack-adapter.js';
import { eventually } from './eventually.js';
import { renamed } from './proxy-server.js';
import { captureLog, createHarness, type Harness } from './runtime-harness.js';
import { FakeResponseUrls } from './slack-fake-response-url.js';
import { FakeSocketModeServer } from './slack-fake-socket-mode.js';
import { FakeSlackWebApi, type RecordedCall } from './slack-fake-web-api.js';
import { buttonClick, formSubmission, slashCommand } from './slack-payload-builders.js';

export interface SlackTestBedOptions {
  mode?: 'socket' | 'http';
  harness?: Parameters<typeof createHarness>[0];
  /** A runtime made elsewhere (the whole app on the simulator) instead of the harness's. */
  use?: Harness;
  userGroups?: FakeSlackWebApi['userGroups'];
  singleCommand?: string;
  adapter?: Partial<Omit<SlackAdapterOptions, 'runtime' | 'config' | 'rbac' | 'log'>>;
  /** Changes to the adapter's `slack` configuration (tokens, mode …). */
  config?: Partial<SlackAdapterOptions['config']>;
  /** Runs before the adapter starts: script the fake Web API's answers to start-up calls. */
  beforeStart?: (api: FakeSlackWebApi) => void;
  /**
   * Host names the adapter sees instead of 127.0.0.1 for the Web API, the Socket Mode link and response_url: names
   * only the test proxy resolves, so that the fakes can be reached through it and no other way.
   */
  hostNames?: { api: string; socket: string; responses: string };
}

export interface SlackTestBed {
  h: Harness;
  api: FakeSlackWebApi;
  socket: FakeSocketModeServer;
  responses: FakeResponseUrls;
  adapter: SlackAdapter;
  logLines: string[];
  signingSecret: string;
  close(): Promise<void>;
}

export const signingSecret = 'test-signing-secret-8f2a';

/**
 * The real Bolt app of the adapter, started against loopback fakes of Slack's Web API, Socket Mode server and
 * response_url endpoints, over a runtime with a real SQLite store. `close` stops the app first, then the fakes.
 */
export async function startSlackTestBed(options: SlackTestBedOptions = {}): Promise<SlackTestBed> {
  const mode = options.mode ?? 'socket';
  const [api, socket, responses] = await Promise.all([
    FakeSlackWebApi.start(),
    FakeSocketModeServer.start(),
    FakeResponseUrls.start(),
  ]);
  api.socketUrl = options.hostNames ? renamed(socket.url, options.hostNames.socket) : socket.url;
  if (options.hostNames) responses.host = options.hostNames.responses;
  api.userGroups = options.userGroups ?? [];
  options.beforeStart?.(api);
  const h = options.use ?? (await createHarness(options.harness));
  const { log, lines } = captureLog();
  let adapter: SlackAdapter;
  try {
    adapter = await startSlackAdapter({
      runtime: h.runtime,
      config: {
        enabled: true,
        botToken: 'xoxb-test-bot-token',
        appToken: 'xapp-test-app-token',
        signingSecret,
        mode,
        port: 3000,
        apiUrl: options.hostNames ? renamed(api.url, options.hostNames.api) : api.url,
        ...(options.singleCommand ? { singleCommand: options.singleCommand } : {}),
        ...options.config,
      },
      rbac: h.rbac,
      log,
      clock: h.clock,
      // Retries without waiting keep the suite fast; the policy itself is what is under test.
      retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 },
      timeoutMs: 5_000,
      listen: { port: 0, host: '127.0.0.1' },
      // As in the running bot: verified signatures are remembered in the store.
      replays: { remember: (signature, until, now) => h.store.rememberRequestSignature(signature, until, now) },
      ...options.adapter,
    });
  } catch (error) {
    await Promise.all([api.close(), socket.close(), responses.close(), h.close()]);
    throw error;
  }
  // As in the running bot: messages about requests (updates, thread replies) reach Slack through the adapter.
  h.posters.register(adapter.poster);
  return {
    h,
    api,
    socket,
    responses,
    adapter,
    logLines: lines,
    signingSecret,
    async close() {
      await adapter.stop();
      // DEBUG_SLACK_LOG=1 prints the adapter's (and Bolt's) log of each test, for when one fails.
      if (process.env.DEBUG_SLACK_LOG) for (const l of lines) process.stdout.write(l);
      await Promise.all([api.close(), socket.close(), responses.close()]);
      await h.close();
    },
  };
}

/** Slack's v0 signature of a request body at a timestamp (seconds). */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** POSTs a form body to the adapter's HTTP endpoint with the given signing headers. */
export async function postSigned(
  port: number,
  body: string,
  headers: { timestamp: number; signature: string },
): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(headers.timestamp),
      'x-slack-signature': headers.signature,
    },
    body,
  });
  return { status: response.status, text: await response.text() };
}

export type Blocks = Array<Record<string, unknown>>;

/** The blocks a recorded Web API call sent. */
export function blocksOf(call: RecordedCall): Blocks {
  return call.body.blocks as Blocks;
}

/** The action_ids of every button in some blocks. */
export function actionIds(blocks: Blocks): string[] {
  return buttonsOf(blocks).map((b) => b.action_id);
}

/** Every button in some blocks, with the command line it runs. */
export function buttonsOf(blocks: Blocks): Array<{ action_id: string; value: string; text: { text: string } }> {
  return blocks
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements as Array<{ action_id: string; value: string; text: { text: string } }>);
}

/** A posted approval request: its id, and the message's ts and blocks as Slack would echo them in a click. */
export interface PostedRequest {
  id: string;
  ts: string;
  blocks: Blocks;
}

/** Alice asks for the harness's /destroy in C0OPS; resolves with the request message the fake Web API received. */
export async function requestDestroy(b: SlackTestBed, target = 'disk-1'): Promise<PostedRequest> {
  await b.socket.send(
    'slash_commands',
    slashCommand({
      command: '/destroy',
      text: target,
      user: 'UALICE',
      responseUrl: b.responses.url(`destroy-${target}`),
    }),
  );
  const posted = await b.api.waitFor('chat.postMessage', (c) => actionIds(blocksOf(c)).length > 0);
  const approve = buttonsOf(blocksOf(posted)).find((x) => x.value.startsWith('/approvals approve '));
  const id = approve?.value.split(' ')[2] ?? '';
  // As a person would, act only once the message is there: the adapter has told the runtime where it is.
  await eventually(async () => (await b.h.store.messageRefs(`approval:${id}`)).length > 0);
  return { id, ts: String(posted.answer.ts), blocks: blocksOf(posted) };
}

/**
 * `user` clicks Approve or Deny on a posted request (the button whose command is `/approvals approve|deny`); the
 * private answer, if any, goes to response_url `answerAs`. Deny opens a form: `reason` is typed into it and sent.
 */
export async function clickButton(
  b: SlackTestBed,
  o: { decision: 'approve' | 'deny'; request: PostedRequest; user: string; answerAs: string; reason?: string },
): Promise<void> {
  const button = buttonsOf(o.request.blocks).find((x) => x.value.startsWith(`/approvals ${o.decision} `));
  if (!button) throw new Error(`the request has no ${o.decision} button`);
  const opened = new Set(b.api.callsOf('views.open'));
  await b.socket.send(
    'interactive',
    buttonClick({
      actionId: button.action_id,
      value: button.value,
      label: button.text.text,
      user: o.user,
      messageTs: o.request.ts,
      blocks: o.request.blocks,
      responseUrl: b.responses.url(o.answerAs),
    }),
  );
  if (!button.action_id.startsWith('ask:')) return;
  const form = await b.api.waitFor('views.open', (c) => !opened.has(c));
  const view = form.body.view as { private_metadata: string };
  await b.socket.send(
    'interactive',
    formSubmission({ user: o.user, privateMetadata: view.private_metadata, answer: o.reason ?? 'no reason given' }),
  );
}

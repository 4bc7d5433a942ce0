import type { webApi } from '@slack/bolt';
import type { Logger } from '../../core/logger.js';
import type { Reply } from '../../core/reply.js';
import type { Runtime } from '../../core/runtime.js';
import { askModal, readAnswer } from './ask-modal.js';
import type { SlackIdentity } from './identity.js';
import { renderReply } from './render.js';
import type { ResponseUrl } from './response-url.js';
import type { BlockActionPayload, ViewSubmissionPayload } from './slack-payloads.js';
import type { SlackPoster } from './slack-poster.js';

export interface ActionButtonsDeps {
  runtime: Pick<Runtime, 'dispatch' | 'promptFor'>;
  identity: SlackIdentity;
  poster: SlackPoster;
  client: webApi.WebClient;
  responseUrl(url: string): ResponseUrl;
  log: Logger;
}

/** Where the clicker is and how to answer them privately. */
interface Clicker {
  userId: string;
  userName: string | undefined;
  channelId: string;
  respond?: ResponseUrl;
}

/**
 * Buttons under the bot's messages. Each carries a command line (Approve: `/approvals approve K7M2Q9`), and a click
 * runs it exactly as if the clicker had typed it: the runtime checks their role, the channel, the approval gate, and
 * audits it. The answer is for the clicker alone; what everyone should see (a request decided, its outcome) reaches
 * the messages concerned through the store, whichever process made the change. A button that needs more text (a
 * deny's reason) first opens a form.
 */
export class ActionButtons {
  constructor(private readonly deps: ActionButtonsDeps) {}

  async click(payload: BlockActionPayload): Promise<void> {
    const clicked = payload.actions[0];
    const kind = /^(run|ask):\d+$/.exec(clicked?.action_id ?? '')?.[1];
    const channelId = payload.channel?.id ?? payload.container?.channel_id;
    const command = clicked?.value;
    if (!kind || !channelId || !command?.startsWith('/')) {
      this.deps.log.warn({ action: clicked?.action_id }, 'a button click without a command or channel was ignored');
      return;
    }
    const clicker: Clicker = {
      userId: payload.user.id,
      userName: payload.user.username ?? payload.user.name,
      channelId,
      ...(payload.response_url ? { respond: this.deps.responseUrl(payload.response_url) } : {}),
    };
    if (kind === 'ask') {
      await this.ask(payload, clicker, command, clicked?.text?.text ?? 'Answer');
      return;
    }
    await this.run(clicker, command);
  }

  async submit(payload: ViewSubmissionPayload): Promise<void> {
    const form = readAnswer(payload.view);
    if (!form) {
      this.deps.log.warn({ callbackId: payload.view.callback_id }, 'a form came back without its command; ignored');
      return;
    }
    const clicker: Clicker = {
      userId: payload.user.id,
      userName: payload.user.username ?? payload.user.name,
      channelId: form.metadata.channelId,
      ...(form.metadata.responseUrl ? { respond: this.deps.responseUrl(form.metadata.responseUrl) } : {}),
    };
    // The answer completes the line as its last option; it is one line of text, whatever the form allowed.
    await this.run(clicker, `${form.metadata.command} ${form.answer.replace(/\s+/g, ' ')}`.trim());
  }

  private async run(clicker: Clicker, line: string): Promise<void> {
    const [command = '', ...words] = line.replace(/^\//, '').split(' ');
    const principal = await this.deps.identity.principalOf(clicker.userId, clicker.userName);
    const reply = await this.deps.runtime.dispatch({
      principal,
      channel: { platform: 'slack', id: clicker.channelId },
      command,
      text: words.join(' '),
      trigger: 'button',
    });
    await this.tell(clicker, reply);
  }

  private async ask(payload: BlockActionPayload, clicker: Clicker, command: string, title: string): Promise<void> {
    const prompt = this.deps.runtime.promptFor(command)?.label ?? 'Your answer';
    try {
      await this.deps.client.views.open({
        trigger_id: payload.trigger_id,
        view: askModal(
          {
            command,
            channelId: clicker.channelId,
            ...(payload.response_url ? { responseUrl: payload.response_url } : {}),
          },
          { title, prompt },
        ),
      });
    } catch (error) {
      this.deps.log.warn({ err: error, command }, 'could not open the form of a button');
      await this.tell(clicker, {
        title: 'The form could not be opened',
        severity: 'warning',
        blocks: [{ kind: 'text', text: `Type it instead: ${command} …` }],
      });
    }
  }

  /** The clicker's answer, privately: through the click's response_url, or an ephemeral message. */
  private async tell(clicker: Clicker, reply: Reply): Promise<void> {
    for (const message of renderReply(reply)) {
      try {
        if (clicker.respond)
          await clicker.respond.send({
            response_type: 'ephemeral',
            replace_original: false,
            text: message.text,
            blocks: message.blocks,
          });
        else await this.deps.poster.postEphemeral(clicker.channelId, clicker.userId, message);
      } catch (error) {
        this.deps.log.warn({ err: error }, 'could not answer the person who clicked');
      }
    }
  }
}

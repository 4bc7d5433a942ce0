/**
 * Slack payloads as Slack sends them (field names and nesting as in its Socket Mode envelopes and HTTP bodies), with
 * only what a test varies as parameters.
 */

export function slashCommand(o: {
  command: string;
  text?: string;
  user: string;
  userName?: string;
  channel?: string;
  responseUrl: string;
}): Record<string, string> {
  return {
    token: 'legacy-verification-token',
    team_id: 'T0FAKE',
    team_domain: 'fake',
    channel_id: o.channel ?? 'C0OPS',
    channel_name: 'ops',
    user_id: o.user,
    user_name: o.userName ?? o.user.toLowerCase(),
    command: o.command,
    text: o.text ?? '',
    api_app_id: 'A0FAKE',
    // Slack really sends this flag as a string in slash commands.
    is_enterprise_install: 'false',
    response_url: o.responseUrl,
    trigger_id: `trigger-${o.user}`,
  };
}

/** A click on a button of a message the bot posted; `blocks` are that message's blocks, as Slack echoes them. */
export function buttonClick(o: {
  actionId: string;
  /** The button's value: the command line it runs. */
  value: string;
  label?: string;
  user: string;
  channel?: string;
  messageTs: string;
  blocks: unknown[];
  responseUrl: string;
}): Record<string, unknown> {
  const channel = o.channel ?? 'C0OPS';
  return {
    type: 'block_actions',
    user: { id: o.user, username: o.user.toLowerCase(), name: o.user.toLowerCase(), team_id: 'T0FAKE' },
    api_app_id: 'A0FAKE',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: o.messageTs, channel_id: channel, is_ephemeral: false },
    trigger_id: `trigger-click-${o.user}`,
    team: { id: 'T0FAKE', domain: 'fake' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel, name: 'ops' },
    message: { type: 'message', user: 'UBOT', bot_id: 'BBOT', ts: o.messageTs, text: 'request', blocks: o.blocks },
    state: { values: {} },
    response_url: o.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: o.actionId,
        block_id: 'actions',
        value: o.value,
        text: { type: 'plain_text', text: o.label ?? 'x' },
        action_ts: '1764500000.1',
      },
    ],
  };
}

/** A button's form submitted with an answer; `privateMetadata` is what views.open carried. */
export function formSubmission(o: {
  user: string;
  privateMetadata: string;
  answer: string;
  viewId?: string;
}): Record<string, unknown> {
  return {
    type: 'view_submission',
    team: { id: 'T0FAKE', domain: 'fake' },
    user: { id: o.user, username: o.user.toLowerCase(), name: o.user.toLowerCase(), team_id: 'T0FAKE' },
    api_app_id: 'A0FAKE',
    token: 'legacy-verification-token',
    trigger_id: `trigger-view-${o.user}`,
    view: {
      id: o.viewId ?? 'V1',
      team_id: 'T0FAKE',
      type: 'modal',
      callback_id: 'lotus-ask',
      private_metadata: o.privateMetadata,
      state: { values: { answer: { answer: { type: 'plain_text_input', value: o.answer } } } },
      hash: 'h',
    },
    response_urls: [],
    is_enterprise_install: false,
  };
}

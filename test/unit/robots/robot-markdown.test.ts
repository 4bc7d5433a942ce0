import { describe, expect, it } from 'vitest';
import { feishuWire } from '../../../src/adapters/robots/feishu-robot.js';
import { fitBytes, robotMessage } from '../../../src/adapters/robots/robot-markdown.js';
import { wecomWire } from '../../../src/adapters/robots/wecom-robot.js';
import { action, block, type Reply } from '../../../src/core/reply.js';

const target = { name: 'ops', webhook: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k' };

describe('a reply as a robot message', () => {
  it('given text from outside that looks like a mention, then it pings nobody; only the route’s mentions of that platform do', () => {
    const reply: Reply = {
      title: 'CRITICAL A3: host <@all> is down',
      severity: 'error',
      blocks: [block.text('see <at id=all></at>'), block.fields([{ label: 'Check', value: 'daemons' }])],
      actions: [action('Ack', '/alerts ack A3')],
      mentions: ['wecom:zhangsan', 'slack-group:S0ONCALL', 'feishu:ou_1'],
    };
    const wecom = wecomWire.request(target, robotMessage(reply, 'wecom'), 0).body as { markdown: { content: string } };
    expect(wecom.markdown.content).toBe(
      '<font color="warning">**CRITICAL A3: host ＜@all> is down**</font>\nsee ＜at id=all>＜/at>\n**Check:** daemons\n<@zhangsan>',
    );
    const feishu = feishuWire.request(
      { name: 'oncall', webhook: 'https://open.feishu.cn/open-apis/bot/v2/hook/x' },
      robotMessage(reply, 'feishu'),
      0,
    ).body as { card: { elements: Array<{ content: string }> } };
    expect(feishu.card.elements[0]?.content).toBe('see ＜at id=all>＜/at>\n**Check:** daemons\n<at id=ou_1></at>');
  });

  it('given a text over the limit, then it is cut on a character boundary with a mark, within the bytes', () => {
    const text = 'a扇区'.repeat(100);
    for (const limit of [10, 11, 12, 13, 200]) {
      const cut = fitBytes(text, limit);
      expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(limit);
      expect(cut.endsWith('…')).toBe(true);
      expect(cut).not.toContain('\uFFFD');
    }
    expect(fitBytes('short', 10)).toBe('short');
  });
});

import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { OpsError } from '../../../src/core/errors.js';
import { createLogger } from '../../../src/core/logger.js';
import { HostExecutor } from '../../../src/ssh/host-executor.js';
import type { SshCredentials } from '../../../src/ssh/ssh-host.js';
import { SshPool } from '../../../src/ssh/ssh-pool.js';
import { describeWithSshd, startSshd, type TestSshd } from '../../helpers/sshd.js';

describeWithSshd('SSH secrets stay out of logs and errors', () => {
  let sshd: TestSshd;
  const pools: SshPool[] = [];

  beforeAll(async () => {
    sshd = await startSshd();
  });

  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.close()));
    await sshd?.stop();
  });

  test('neither the private key nor its passphrase reaches a log line or an error', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger({ level: 'trace', destination });
    const passphrase = 'tr0ub4dor&3-lcops';
    const protectedKey = await sshd.makeClientKey({ passphrase });
    const stranger = await sshd.makeClientKey({ authorize: false });
    const errors: OpsError[] = [];

    const attempt = async (credentials: SshCredentials, argv: string[], hostKey?: string) => {
      const pool = new SshPool({ credentials, logger });
      pools.push(pool);
      const executor = new HostExecutor(pool, { logger });
      try {
        await executor.runChecked(sshd.host(0, hostKey === undefined ? {} : { hostKey }), argv);
      } catch (error) {
        expect(error).toBeInstanceOf(OpsError);
        errors.push(error as OpsError);
      }
    };
    await attempt({ privateKey: sshd.clientKey }, ['true']);
    await attempt({ privateKey: sshd.clientKey }, ['sh', '-c', 'exit 4']);
    await attempt({ privateKey: protectedKey.privateKey, passphrase }, ['true']);
    await attempt({ privateKey: protectedKey.privateKey }, ['true']);
    await attempt({ privateKey: protectedKey.privateKey, passphrase: `${passphrase}-wrong` }, ['true']);
    await attempt({ privateKey: stranger.privateKey }, ['true']);
    const otherHostKey = 'SHA256:olwj7/PT2/N8Jd0yZOmodIE2lLByqG78WTc3JmvXXLM';
    await attempt({ privateKey: sshd.clientKey, passphrase }, ['true'], otherHostKey);

    const logged = lines.join('');
    // The test sees what it should: connects, runs and refusals were logged, and the errors happened.
    expect(logged).toContain('ssh connected');
    expect(logged).toContain('SSH_HOSTKEY_MISMATCH');
    const codes = errors.map((error) => error.code).sort();
    expect(codes).toEqual(['SSH_AUTH_FAILED', 'SSH_ERROR', 'SSH_ERROR', 'SSH_EXIT', 'SSH_HOSTKEY_MISMATCH']);

    const keys = [sshd.clientKey, protectedKey.privateKey, stranger.privateKey];
    const secrets = [passphrase, ...keys.flatMap(keyBodyLines)];
    const errorText = errors.map((error) =>
      JSON.stringify({ message: error.message, hint: error.hint, params: error.params, cause: String(error.cause) }),
    );
    for (const secret of secrets) {
      expect(logged).not.toContain(secret);
      for (const text of errorText) expect(text).not.toContain(secret);
    }
  });
});

/** The base64 lines of a PEM/OpenSSH private key: any of them in a log would leak key material. */
function keyBodyLines(key: string): string[] {
  return key.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'));
}

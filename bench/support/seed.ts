import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from './processes.js';

const run = promisify(execFile);

/**
 * Gives /approvals and /pledge status something to show, the way an operator would, through the built CLI's `exec`
 * on the same store: alice pledges 2 sectors and bob approves (they are pledged on the simulator), then alice asks
 * for 1 more, which stays open. Returns the request ids.
 */
export async function seedPledges(
  configPath: string,
  env: NodeJS.ProcessEnv,
): Promise<{ approved: string; open: string }> {
  const main = join(projectRoot(), 'dist', 'src', 'main.js');
  const exec = async (as: string, line: string): Promise<string> => {
    // Exit 1 is a refused or failed command; its output still says why, which the caller checks.
    const result = await run(process.execPath, [main, 'exec', '--config', configPath, '--as', as, line], { env }).catch(
      (error: { stdout?: string; stderr?: string }) => ({ stdout: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
    return result.stdout;
  };
  const requestId = (text: string): string => {
    const id = /Approval request ([A-Z0-9]+):/.exec(text)?.[1];
    if (!id) throw new Error(`the seed pledge did not open an approval request:\n${text}`);
    return id;
  };
  const approved = requestId(await exec('terminal:alice', '/pledge 2'));
  const vote = await exec('terminal:bob', `/approvals approve ${approved}`);
  if (!/Pledged/.test(vote)) throw new Error(`the seed pledge was not executed:\n${vote}`);
  const open = requestId(await exec('terminal:alice', '/pledge 1'));
  return { approved, open };
}

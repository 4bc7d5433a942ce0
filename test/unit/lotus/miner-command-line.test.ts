import { describe, expect, it } from 'vitest';
import { fullNodeApiInfo, minerRunProcesses } from '../../../src/lotus/miner-command-line.js';

describe('lotus-miner run command lines', () => {
  it('reads the fork role flags as ps shows them, defaults on, both spellings, wrappers included', () => {
    const ps = [
      '    1 /sbin/init',
      ' 4242 /usr/local/bin/lotus-miner run --window-post=false --winning-post=true --p2p=false --sctype=alloce --sclisten=192.168.1.50:1357',
      ' 4343 lotus-miner run --miner-api 2346 --sctype get --sclisten 192.168.1.50:1357',
      ' 4444 /bin/sh /opt/bin/lotus-miner run --wdpost=false --wnpost=false --miner-api=2347',
      ' 4545 lotus-miner sectors list',
      ' 4646 grep lotus-miner run',
    ].join('\n');
    expect(minerRunProcesses(ps).map(({ commandLine: _, ...flags }) => flags)).toEqual([
      {
        pid: 4242,
        windowPost: false,
        winningPost: true,
        sectorCounter: 'alloce',
        sectorCounterListen: '192.168.1.50:1357',
        apiPort: undefined,
      },
      {
        pid: 4343,
        windowPost: true,
        winningPost: true,
        sectorCounter: 'get',
        sectorCounterListen: '192.168.1.50:1357',
        apiPort: 2346,
      },
      {
        pid: 4444,
        windowPost: false,
        winningPost: false,
        sectorCounter: undefined,
        sectorCounterListen: undefined,
        apiPort: 2347,
      },
    ]);
  });

  it('takes FULLNODE_API_INFO from a process environment and nothing else', () => {
    const environ = [
      'PATH=/usr/bin',
      'FULLNODE_API_INFO=eyJhbGc.secret:/ip4/10.0.0.2/tcp/1234/http',
      'LOTUS_PATH=/x',
    ].join('\0');
    expect(fullNodeApiInfo(environ)).toBe('eyJhbGc.secret:/ip4/10.0.0.2/tcp/1234/http');
    expect(fullNodeApiInfo('PATH=/usr/bin\0')).toBeUndefined();
  });
});

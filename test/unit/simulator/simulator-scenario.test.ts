import { describe, expect, test } from 'vitest';
import { OpsError } from '../../../src/core/errors.js';
import { defaultScenario, loadScenarioYaml, namedScenario, scenarioVariants } from '../../../src/simulator/scenario.js';

describe('scenarios', () => {
  test('the default is a healthy mainnet-like cluster: f01000, 150k sectors, the four miner roles, two daemons', () => {
    const scenario = defaultScenario();
    expect(scenario.actor.id).toBe('f01000');
    expect(scenario.chain.liveSectors).toBe(150_000);
    expect(scenario.network).toEqual({
      name: 'mainnet',
      genesisUnix: 1598306400,
      blockDelaySecs: 30,
      networkVersion: 27,
    });
    expect(scenario.daemons.map((d) => d.name)).toEqual(['daemon-public', 'daemon-internal']);
    expect(scenario.miners.map((m) => [m.name, m.roles])).toEqual([
      ['winning-post-miner', ['winning-post', 'sector-counter']],
      ['window-post-miner', ['window-post']],
      ['seal-miner', ['seal']],
      ['deal-miner', ['deal']],
    ]);
  });

  test('every named variant is a valid scenario', () => {
    for (const name of Object.keys(scenarioVariants)) expect(namedScenario(name).name).toBe(name);
  });

  test('a YAML file starts from a base variant and overrides what it names', () => {
    const scenario = loadScenarioYaml(`
base: low-balance
name: my-cluster
actor: { id: f0123456, owner: f0123457, worker: f0123458 }
chain:
  liveSectors: 3000
  dealMinerSectors: 0
`);
    expect(scenario.name).toBe('my-cluster');
    expect(scenario.actor.id).toBe('f0123456');
    expect(scenario.chain.liveSectors).toBe(3000);
    expect(scenario.balances.available).toBe(namedScenario('low-balance').balances.available);
  });

  test('a YAML mistake is reported with its path', () => {
    expect(() => loadScenarioYaml('chain: { liveSectors: -5 }')).toThrow(/chain\.liveSectors/);
    expect(() => loadScenarioYaml('base: nope')).toThrow(OpsError);
    const twins = 'miners: [{ name: a, roles: [seal] }, { name: a, roles: [deal] }]';
    expect(() => loadScenarioYaml(twins)).toThrow(/two nodes/);
  });
});

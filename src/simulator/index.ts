export {
  startSimulator,
  type SimulatedCluster,
  type SimulatedMiner,
  type SimulatedNode,
  type SimulatorControls,
  type StartSimulatorOptions,
} from './start-simulator.js';
export {
  defaultScenario,
  defaultScenarioInput,
  loadScenarioYaml,
  mergeScenario,
  namedScenario,
  parseScenario,
  scenarioVariants,
  type MinerRole,
  type Scenario,
  type ScenarioInput,
  type ScenarioName,
} from './scenario.js';

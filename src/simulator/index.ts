export {
  defaultScenario,
  defaultScenarioInput,
  loadScenarioYaml,
  mergeScenario,
  namedScenario,
  parseScenario,
  type Scenario,
  type ScenarioInput,
  type ScenarioName,
  scenarioVariants,
} from './scenario.js';
export {
  type SimulatedCluster,
  type SimulatedMiner,
  type SimulatedNode,
  type SimulatorControls,
  type StartSimulatorOptions,
  startSimulator,
} from './start-simulator.js';

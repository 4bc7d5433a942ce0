/** Sealing and PoSt task types (lotus storage/sealer/sealtasks) with the short names `lotus-miner` prints. */
export const taskTypes = {
  'seal/v0/datacid': 'DC',
  'seal/v0/addpiece': 'AP',
  'seal/v0/precommit/1': 'PC1',
  'seal/v0/precommit/2': 'PC2',
  'seal/v0/commit/1': 'C1',
  'seal/v0/commit/2': 'C2',
  'seal/v0/finalize': 'FIN',
  'seal/v0/finalizeunsealed': 'FUS',
  'seal/v0/fetch': 'GET',
  'seal/v0/unseal': 'UNS',
  'seal/v0/replicaupdate': 'RU',
  'seal/v0/provereplicaupdate/1': 'PR1',
  'seal/v0/provereplicaupdate/2': 'PR2',
  'seal/v0/regensectorkey': 'GSK',
  'seal/v0/finalize/replicaupdate': 'FRU',
  'seal/v0/download/sector': 'DL',
  'post/v0/windowproof': 'WDP',
  'post/v0/winningproof': 'WNP',
} as const;

export type TaskType = keyof typeof taskTypes;
export type TaskShortName = (typeof taskTypes)[TaskType];

/** The short name, or "UNK" for a task type lotus would also print as unknown. */
export function taskShortName(taskType: string): TaskShortName | 'UNK' {
  return Object.hasOwn(taskTypes, taskType) ? taskTypes[taskType as TaskType] : 'UNK';
}

const byShortName = new Map<string, TaskType>(
  Object.entries(taskTypes).map(([type, short]) => [short, type as TaskType]),
);

export function taskTypeOf(shortName: string): TaskType | undefined {
  return byShortName.get(shortName.toUpperCase());
}

/** A PoSt worker lists a post/… task first; it is shown by `proving workers`, not `sealing workers`. */
export function isPostWorker(tasks: readonly string[]): boolean {
  return tasks[0]?.startsWith('post/') ?? false;
}

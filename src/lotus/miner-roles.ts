/**
 * The roles a lotus-miner process holds in the distributed cluster: `winning-post` (mines blocks), `window-post`
 * (proves storage), `seal` (schedules the seal workers), `deal` (takes storage deals) and `sector-counter` (hands out
 * sector numbers with the fork's `alloce` counter). The configuration and the simulator both speak of them.
 */
export const minerRoles = ['winning-post', 'window-post', 'seal', 'deal', 'sector-counter'] as const;
export type MinerRole = (typeof minerRoles)[number];

import { formatDuration } from '../../core/duration.js';
import { type AlertCheck, allFailed, type CheckContext, Report, readTogether } from './check.js';

/** SyncState stage 5: the sync worker stopped on an error (lotus's chain/sync.go stages). */
const SYNC_ERROR_STAGE = 5;

/**
 * The daemons: how far each head lags the wall clock (lotus's own `SyncBasefeeCheck` rule: now − the head's oldest
 * block timestamp), whether a sync stopped on an error, peers, version; that the public daemon holds no wallet key;
 * and that the internal daemon, which the miners use, is peered with the public one.
 */
export const daemonsCheck: AlertCheck = {
  name: 'daemons',
  description: 'Chain lag, sync errors, peers and version of each daemon; no wallet on the public one',
  defaultEveryMs: 30_000,
  blindSeverity: 'critical',
  home: 'Daemons',
  async run(ctx) {
    const report = new Report(daemonsCheck, ctx.now);
    const { daemons } = ctx.services.topology;
    const ids = new Map<string, string>();
    const peersOf = new Map<string, Set<string>>();
    await Promise.all(
      daemons.map(async (daemon) => {
        const seen = await readDaemon(ctx, report, daemon.name, daemon.public);
        if (seen) {
          ids.set(daemon.name, seen.id);
          peersOf.set(daemon.name, seen.peers);
        }
      }),
    );
    for (const internal of daemons.filter((d) => !d.public)) {
      const peers = peersOf.get(internal.name);
      if (!peers) continue;
      for (const pub of daemons.filter((d) => d.public)) {
        const id = ids.get(pub.name);
        if (id === undefined) continue;
        if (peers.has(id)) report.ok('Daemons', `${internal.name} ↔ ${pub.name}`, 'peered');
        else
          report.problem('Daemons', `${internal.name} ↔ ${pub.name}`, {
            subject: `${internal.name}/peering`,
            severity: 'warning',
            summary: `${internal.name} is not peered with ${pub.name}`,
            detail: `Blocks and messages reach ${internal.name} only through its other peers. On ${internal.name}: lotus net connect <${pub.name}'s address>, and keep it in its peer list.`,
          });
      }
    }
    return report.outcome();
  },
};

async function readDaemon(
  ctx: CheckContext,
  report: Report,
  name: string,
  isPublic: boolean,
): Promise<{ id: string; peers: Set<string> } | undefined> {
  const api = ctx.services.daemon(name);
  const reads = await readTogether(
    api.rpc,
    [
      api.request('ChainHead', []),
      api.request('SyncState', []),
      api.request('NetPeers', []),
      api.request('Version', []),
      api.request('ID', []),
      api.request('WalletList', []),
    ] as const,
    ctx.call,
  );
  const [head, sync, peers, version, id, wallets] = reads;
  // The miners work through the internal daemon: it being down stops PoSt. The public one only relays.
  const severity = isPublic ? 'warning' : 'critical';
  const down = allFailed(reads);
  if (down) {
    report.problem('Daemons', name, {
      subject: name,
      severity,
      summary: `${name} does not answer: ${down.message.replace(/\.$/, '')}`,
      detail: isPublic
        ? 'The internal daemon loses its route to the network through it; the miners keep working.'
        : 'The miners read the chain and send their PoSt messages through this daemon: no WindowPoSt, no blocks while it is down.',
    });
    return undefined;
  }
  if (!head.ok) report.cannotCheck('Daemons', name, `${name}'s chain head`, head.error, { severity });
  else {
    const oldest = Math.min(...head.value.Blocks.map((b) => b.Timestamp)) * 1000;
    const lagMs = Math.max(0, ctx.now - oldest);
    const erroring = sync.ok ? sync.value.ActiveSyncs.find((s) => s.Stage === SYNC_ERROR_STAGE) : undefined;
    const where = `height ${head.value.Height}, ${formatDuration(lagMs)} behind`;
    if (erroring)
      report.problem('Daemons', name, {
        subject: name,
        severity,
        summary: `${name}'s sync stopped on an error at ${where}: ${erroring.Message || 'no message'}`,
        detail: `lotus sync status on ${name} shows the error; a stuck sync often needs lotus sync mark-bad or a restart.`,
      });
    else if (lagMs >= ctx.thresholds.chainBehindMs)
      report.problem('Daemons', name, {
        subject: name,
        severity,
        summary: `${name} is behind the chain: ${where}`,
        detail: `Over ${formatDuration(ctx.thresholds.chainBehindMs)} behind, a node cannot land PoSt or win blocks on time. lotus sync wait on ${name} shows progress.`,
      });
    else if (lagMs >= ctx.thresholds.chainSlowMs)
      report.problem('Daemons', name, {
        subject: name,
        severity: 'warning',
        summary: `${name} is slow: ${where}`,
        detail: `In sync means under ${formatDuration(ctx.thresholds.chainSlowMs)} behind.`,
      });
    else report.ok('Daemons', name, `in sync (${where})`);
  }
  if (!sync.ok) report.cannotCheck('Daemons', `${name}/sync`, `${name}'s sync state`, sync.error, { severity });
  if (!peers.ok) report.cannotCheck('Daemons', `${name}/peers`, `${name}'s peers`, peers.error);
  else if (peers.value.length < ctx.thresholds.minPeers)
    report.problem('Daemons', `${name} peers`, {
      subject: `${name}/peers`,
      severity: 'warning',
      summary: `${name} has ${peers.value.length} peer(s), fewer than ${ctx.thresholds.minPeers}`,
      detail: 'Few peers delay blocks and messages; check its libp2p port and lotus net peers.',
    });
  else report.ok('Daemons', `${name} peers`, `${peers.value.length}`);
  if (version.ok) report.note('Daemons', `${name} version`, version.value.Version);
  if (isPublic) {
    if (!wallets.ok) report.cannotCheck('Daemons', `${name}/wallet`, `${name}'s wallet`, wallets.error);
    else if (wallets.value.length > 0)
      report.problem('Daemons', `${name} wallet`, {
        subject: `${name}/wallet`,
        severity: 'critical',
        summary: `${name}, the public daemon, holds ${wallets.value.length} wallet key(s): ${wallets.value.map(short).join(', ')}`,
        detail:
          'The public daemon faces the internet; the owner, worker and control keys belong on the internal daemon only. Export them there and lotus wallet delete them here.',
      });
    else report.ok('Daemons', `${name} wallet`, 'holds no key');
  }
  if (!id.ok) return undefined;
  return { id: id.value, peers: new Set(peers.ok ? peers.value.map((p) => p.ID) : []) };
}

function short(address: string): string {
  return address.length > 16 ? `${address.slice(0, 8)}…${address.slice(-6)}` : address;
}

// Carrying out `clean --shm`'s segment plan, after the processes are ended: the census and the
// segments' holders are read again (every process's fds and maps), each target is judged again
// the same way (src/census/shm.ts), its identity is checked (the same device, inode and mtime as
// when it was planned), and only then is it unlinked. A segment that something holds now, or whose
// holders cannot all be seen, or that is another file by now, is left and said. Unlinking never
// takes memory from a process that still maps a segment (the pages go with the last mapping); what
// it breaks is a later open by name, which is why a held one is never unlinked.
import { takeCensus } from '../census/census.js';
import type { ClassifyOptions } from '../census/classify.js';
import { judgeShm, SHM_JUDGE_DEFAULTS } from '../census/shm.js';
import type { Host } from '../host/host.js';
import type { ShmResult, ShmTarget } from '../model/cleanup-plan.js';
import { collectShm } from '../probes/shm.js';

export interface ExecuteShmOptions {
  classify: ClassifyOptions;
  runSlackSeconds?: number;
  progress?: (line: string) => void;
}

const same = (t: ShmTarget, s: { dev: string; ino: number; mtimeMs: number }) => s.dev === t.dev && s.ino === t.ino && s.mtimeMs === t.mtimeMs;

export async function executeShm(host: Host, targets: ShmTarget[], o: ExecuteShmOptions): Promise<ShmResult[]> {
  if (targets.length === 0) return [];
  o.progress?.(`checking ${targets.length} shared-memory segment${targets.length === 1 ? '' : 's'} again before unlinking (holders, identity)`);
  const census = await takeCensus(host, o.classify);
  const shm = await collectShm(host, { names: targets.map((t) => t.name) });
  if (shm.status !== 'ok') return targets.map((t) => ({ name: t.name, outcome: 'unknown' as const, detail: `${shm.status === 'failed' ? 'cannot read' : 'no longer readable'}: ${shm.reason}`, bytes: t.bytes }));
  // The runs the plan ended are dead, whatever of them is left (a survivor holding a segment keeps it).
  const ended = new Set(targets.flatMap((t) => t.runs));
  const judged = new Map(judgeShm(shm.value, census, { runSlackSeconds: o.runSlackSeconds ?? SHM_JUDGE_DEFAULTS.runSlackSeconds, alsoDead: ended }).map((j) => [j.segment.name, j]));
  const results: ShmResult[] = [];
  for (const t of targets) {
    const r = (outcome: ShmResult['outcome'], detail: string) => results.push({ name: t.name, outcome, detail, bytes: t.bytes });
    const j = judged.get(t.name);
    if (!j) {
      r('already-gone', 'gone before it was unlinked: its run\'s resource tracker or torch_shm_manager removed it once the run ended (or someone else did)');
      continue;
    }
    if (!same(t, j.segment)) {
      r('changed', `another file by that name now (inode ${j.segment.ino}, was ${t.ino}; or written since it was planned): left alone`);
      continue;
    }
    if (j.state === 'in-use' || j.state === 'held-by-dead-run' || j.state === 'creator-alive') {
      r('held', `${j.why}: left alone`);
      continue;
    }
    if (j.state !== 'leaked') {
      r('unknown', `${j.why}: left alone`);
      continue;
    }
    // The last look, right before the unlink: still the same file.
    let now;
    try {
      now = host.shm.stat(t.name);
    } catch (e) {
      r('failed', `cannot stat it: ${(e as Error).message}`);
      continue;
    }
    if (now === null) {
      r('already-gone', 'gone before it was unlinked');
      continue;
    }
    if (!same(t, now)) {
      r('changed', 'another file by that name now (or written since it was planned): left alone');
      continue;
    }
    const u = host.shm.unlink(t.name);
    if (u === 'ok') r('unlinked', j.why);
    else if (u === 'gone') r('already-gone', 'gone before it was unlinked');
    else if (u === 'denied') r('denied', `permission denied: ${host.shm.root} is sticky, only its owner (uid ${t.uid}) or root may remove it`);
    else r('failed', `unlink failed: ${u.error}`);
  }
  return results;
}

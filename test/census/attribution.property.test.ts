// The cleanup planner is safe by construction (issue 8): over generated process forests, judged
// against the simulator's ground truth (who really started whom, which run, which project), never
// against the classifier's own view. The forests come from action sequences (launch the shapes
// users have, then SIGKILL mains, wrappers, workers, groups, terminals) run through a faithful
// model of the Linux process table (test/helpers/process-sim.ts).
//
// FC_SEED=<n> FC_RUNS=<n> explore beyond the fixed seed; a failure prints the shrunk world as a
// process table, with what the plan did to each process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { classify } from '../../src/census/classify.js';
import { planCleanup } from '../../src/actions/plan-cleanup.js';
import { DEFAULT_SPEC, DEFAULT_WORLD, simulate, type Action, type LaunchSpec, type RunTruth, type SimEvent, type SimResult, type World, type WorldOptions } from '../helpers/process-sim.js';

type Plan = ReturnType<typeof planCleanup>;
type PlanOptions = Parameters<typeof planCleanup>[1];

interface Flags {
  includeDetached: boolean;
  allProjects: boolean;
  allUsers: boolean;
  /** Name one live pid (`clean --pid N`): an index into the live processes, resolved after the run. */
  pickPid: number | null;
}

interface Case {
  world: WorldOptions;
  actions: Action[];
  flags: Flags;
}

// ---- generators ----

const specArb: fc.Arbitrary<LaunchSpec> = fc.record({
  from: fc.constantFrom<LaunchSpec['from']>('terminal', 'terminal', 'terminal-bg', 'nohup-bg', 'start-script', 'ide', 'ide', 'systemd-user', 'tmux'),
  via: fc.constantFrom<LaunchSpec['via']>('none', 'none', 'none', 'timeout', 'sh-c', 'time', 'make', 'uv', 'tini-s', 'dumb-init', 'rerun-doctor-run'),
  program: fc.constantFrom<LaunchSpec['program']>('server', 'server', 'server', 'mp-program', 'node-cluster'),
  where: fc.constantFrom<LaunchSpec['where']>('project', 'project', 'project-subdir', 'other'),
  user: fc.constantFrom<LaunchSpec['user']>('alice', 'alice', 'alice', 'bob'),
  method: fc.constantFrom<LaunchSpec['method']>('spawn', 'fork', 'forkserver'),
  workers: fc.integer({ min: 0, max: 3 }),
  setsidWorkers: fc.boolean(),
  shm: fc.constantFrom<LaunchSpec['shm']>('none', 'none', 'main', 'worker'),
  ports: fc.constantFrom<LaunchSpec['ports']>('main', 'reuseport', 'inherited', 'none'),
  tracker: fc.boolean(),
  grandchild: fc.boolean(),
  venv: fc.boolean(),
  reuseTerminal: fc.boolean(),
  terminal: fc.constantFrom<LaunchSpec['terminal']>('desktop', 'ssh'),
});

const runRef = fc.nat({ max: 7 });
const eventArb: fc.Arbitrary<SimEvent> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('kill-main' as const), run: runRef }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('kill-wrapper' as const), run: runRef }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('kill-group' as const), run: runRef }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('term-group' as const), run: runRef }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stop' as const), run: runRef }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('kill-shell' as const), run: runRef }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('close-terminal' as const), run: runRef }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('kill-worker' as const), run: runRef, worker: fc.nat({ max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('zombie-worker' as const), run: runRef, worker: fc.nat({ max: 3 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'kill-ide' as const }) },
);

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 2, arbitrary: specArb.map((spec) => ({ t: 'launch' as const, spec })) },
  { weight: 3, arbitrary: eventArb.map((event) => ({ t: 'event' as const, event })) },
);

const worldArb: fc.Arbitrary<WorldOptions> = fc.record({
  seed: fc.nat(),
  kind: fc.constantFrom<WorldOptions['kind']>('host', 'host', 'host', 'container'),
  sharedProject: fc.boolean(),
  self: fc.constantFrom<WorldOptions['self']>('alice', 'alice', 'sudo'),
  wrapPids: fc.boolean(),
  entrypoint: fc.constantFrom<WorldOptions['entrypoint']>('tini', 'dumb-init', 'sh', 'devcontainer'),
});

const flagsArb: fc.Arbitrary<Flags> = fc.record({
  includeDetached: fc.boolean(),
  allProjects: fc.boolean(),
  allUsers: fc.boolean(),
  pickPid: fc.option(fc.nat(), { freq: 4 }),
});

// At least one launch first: a forest with no run of anyone tests nothing.
const caseArb: fc.Arbitrary<Case> = fc.record({
  world: worldArb,
  actions: fc.tuple(specArb, fc.array(actionArb, { maxLength: 8 })).map(([s, rest]) => [{ t: 'launch' as const, spec: s }, ...rest]),
  flags: flagsArb,
});

// ---- running the code under test ----

const CLASSIFY = (projectRoot: string) => ({ serverPattern: /python.*-m src\.main/, workerPatterns: [], ports: [50051, 8080], generationGapSeconds: 30, projectRoot });

interface Outcome {
  world: World;
  res: SimResult;
  /** The plan with plain options (what `clean` does by default) and the one with the case's flags. */
  plans: Array<{ name: string; opts: PlanOptions; flags: Flags; plan: Plan }>;
  census: ReturnType<typeof classify>;
}

const PLAIN: Flags = { includeDetached: false, allProjects: false, allUsers: false, pickPid: null };

function livePids(res: SimResult): number[] {
  return res.snapshot.processes.filter((p) => !p.zombie).map((p) => p.pid);
}

function planOptions(res: SimResult, f: Flags): PlanOptions {
  const opts: PlanOptions = { selfPid: res.selfPid, ancestors: res.ancestors, uid: res.uid, allUsers: f.allUsers, sudoUid: res.sudoUid, includeDetached: f.includeDetached, allProjects: f.allProjects };
  if (f.pickPid !== null) {
    const live = livePids(res);
    opts.pids = [live[f.pickPid % live.length]!];
  }
  return opts;
}

function run(c: Case): Outcome {
  const world = simulate(c.world, c.actions);
  const res = world.result();
  const census = classify(res.snapshot, CLASSIFY(res.projectRoot));
  const plans = [PLAIN, c.flags].map((flags, i) => {
    const opts = planOptions(res, flags);
    return { name: i === 0 ? 'plain options' : `options ${JSON.stringify(opts, (k, v) => (k === 'ancestors' ? undefined : v))}`, opts, flags, plan: planCleanup(census, opts) };
  });
  return { world, res, plans, census };
}

// ---- the properties, from the ground truth ----

type Prop = 'starter' | 'live-run' | 'scope' | 'never' | 'completeness' | 'detached' | 'phase' | 'named';

/** uids clean may signal: its own; as root, root's and the sudo user's, or everyone's with --all-users. */
function allowedUid(uid: number | null, opts: PlanOptions): boolean {
  if (uid === null) return false;
  if (opts.uid === null) return true;
  if (opts.uid !== 0) return uid === opts.uid;
  return opts.allUsers || uid === 0 || uid === opts.sudoUid;
}

function liveMembers(res: SimResult, runId: number): number[] {
  return res.snapshot.processes.filter((p) => !p.zombie && res.truth.get(p.pid)?.run === runId).map((p) => p.pid);
}

/**
 * For a detached-and-whole run: 'must' be planned, 'mustNot', or 'either' where the spec leaves it open.
 * A newer run of the same project beside it makes it stale (a clean target). Open on purpose:
 * a newer run that is not a server (the spec's "current" run is one with a live server) or is
 * another user's (its cwd may be unreadable); and with --include-detached, a detached run that is
 * not a server (`nohup python train.py &` is not what "detached server" means).
 */
function detachedExpectation(res: SimResult, r: RunTruth, f: Flags): 'must' | 'mustNot' | 'either' {
  // Not whole (a helper or a worker's fork re-parented away from the live server): the contract
  // makes that an error ("or when it is not whole") and leaves the decision open.
  if (liveMembers(res, r.id).some((pid) => res.strays.has(pid))) return 'either';
  const newer = res.runs.filter((o) => o.id !== r.id && o.project === r.project && o.startKey > r.startKey && liveMembers(res, o.id).length > 0);
  const shadow = newer.some((o) => o.spec.program === 'server' && o.uid === r.uid);
  const maybeShadow = newer.length > 0;
  const isServer = r.spec.program === 'server';
  if (f.includeDetached || shadow) return isServer ? 'must' : 'either';
  return maybeShadow ? 'either' : 'mustNot';
}

const MP_CHILD = /multiprocessing\.(spawn|resource_tracker|forkserver)|^torch_shm_manager$/;

/**
 * THE LIMIT (reported to the lead, excluded from completeness only): a dead run whose survivors
 * all hang under one plain fork of its main (a fork worker, with its own fork children) and share
 * nothing else with anyone: same argv as a server, in a group whose leader is gone, adopted,
 * holding pipes whose other ends died with the main or are held by its own children. /proc shows
 * exactly that for a server whose start script (the dead group leader) exited: `bash start.sh`
 * running `nohup python -m src.main &`, with or without fork workers of its own. Nothing tells
 * "fork worker of a dead server" (clean) from "server of a dead launcher" (detached: leave), and
 * leaving it is the safe reading. With a tracker the main started (adopted, its pipe held by the
 * copy) or a sibling copy, kin evidence tells them apart, and the property holds.
 * (torch_shm_manager shares no fd with its clients, so one beside the copy adds no evidence.)
 */
function loneForkCopy(res: SimResult, r: RunTruth): boolean {
  if (r.spec.program !== 'server') return false;
  const rows = new Map(res.snapshot.processes.map((p) => [p.pid, p]));
  const live = liveMembers(res, r.id).filter((pid) => res.truth.get(pid)?.label !== 'shm-manager');
  const copy = (pid: number) => res.truth.get(pid)?.label === 'worker' && /-m src\.main/.test(rows.get(pid)?.argv.join(' ') ?? '');
  const tops = live.filter((pid) => !live.includes(rows.get(pid)!.ppid));
  if (tops.length !== 1 || !copy(tops[0]!)) return false;
  const under = (pid: number): boolean => pid === tops[0] || (live.includes(pid) && under(rows.get(pid)!.ppid));
  return live.every((pid) => under(pid) && copy(pid));
}

/**
 * THE OTHER LIMIT (by design, excluded from completeness only): a process that neither the server
 * pattern nor a multiprocessing fingerprint names has no role, so it is never cleaned: the fork
 * copies of a non-server main (`python3 -m pytest -x` forking workers), a Node cluster. Their
 * spawn workers, trackers, forkservers and torch_shm_manager are named, and must be planned,
 * except under such a copy: their parent is alive and started them, and stays.
 */
/**
 * THE THIRD LIMIT (the lead's decision, excluded from completeness only): a torch_shm_manager
 * whose run has no other named member (the rest are fork copies no pattern names) shares no fd
 * with anything: only its environment ties it to a run. That is too weak to end it unasked: a live
 * program's manager looks the same once the worker that started it exited. It is reported as a
 * weak run (clean --pid ends it), and it exits by itself once its last client is gone.
 */
function loneHelper(res: SimResult, r: RunTruth, members: number[], pid: number, census: Outcome['census']): boolean {
  if (res.truth.get(pid)?.label !== 'shm-manager') return false;
  // Attached by its environment to a running run (the only resemblance it has): left alone on purpose.
  const g = census.generations.find((x) => x.pids.includes(pid));
  if (g && g.status === 'running' && g.linkedBy.includes('environment')) return true;
  return !members.some((q) => q !== pid && res.truth.get(q)?.label !== 'shm-manager' && hasRole(res, r, q));
}

/**
 * THE FOURTH LIMIT (excluded from completeness, detached and named only): in a container, server
 * processes that are their own session leaders under the namespace's init (setsid'd fork copies,
 * dumb-init's child) once their launcher (a `docker exec` shell) died. Nothing shows that the init
 * did not start them: same session as nobody, their own group, a Python-less init, and no pipe
 * shared with anything, or the very command the init itself runs. docs/attribution.md, "Limits".
 */
function containerLeaders(o: Outcome, r: RunTruth, members: number[]): boolean {
  const res = o.res;
  if (o.world.o.kind !== 'container') return false;
  const rows = new Map(res.snapshot.processes.map((p) => [p.pid, p]));
  const tops = members.filter((pid) => !members.includes(rows.get(pid)!.ppid));
  const leader = (pid: number) => {
    const p = rows.get(pid)!;
    return p.ppid === 1 && p.sid === p.pid && /-m src\.main/.test(p.argv.join(' '));
  };
  // A torch_shm_manager beside them (its own session too) changes nothing.
  return tops.some(leader) && tops.every((pid) => leader(pid) || res.truth.get(pid)?.label === 'shm-manager');
}

function hasRole(res: SimResult, r: RunTruth, pid: number): boolean {
  if (r.spec.program === 'server') return true;
  const rows = new Map(res.snapshot.processes.map((p) => [p.pid, p]));
  const named = (q: number) => MP_CHILD.test(rows.get(q)?.argv.join(' ') ?? '');
  if (!named(pid)) return false;
  for (let a = rows.get(rows.get(pid)!.ppid); a && res.truth.get(a.pid)?.run === r.id; a = rows.get(a.ppid)) if (!named(a.pid)) return false;
  return true;
}

function violations(o: Outcome, props: readonly Prop[]): string[] {
  const { res } = o;
  const out: string[] = [];
  const rowOf = new Map(res.snapshot.processes.map((p) => [p.pid, p]));
  for (const { name, opts, flags, plan } of o.plans) {
    const targets = new Map(plan.targets.map((t) => [t.pid, t]));
    const say = (s: string) => out.push(`[${name}] ${s}`);
    const named = new Set(opts.pids ?? []);
    const namedRuns = new Set([...named].map((pid) => res.truth.get(pid)?.run).filter((r): r is number => r !== null && r !== undefined));
    for (const t of plan.targets) {
      const tr = res.truth.get(t.pid);
      const row = rowOf.get(t.pid);
      if (!tr || !row) {
        say(`target ${t.pid} is not in the snapshot`);
        continue;
      }
      const status = tr.run === null ? null : res.status.get(tr.run);
      if (props.includes('starter') && tr.starter && tr.starterAlive && !targets.has(tr.starter.pid)) {
        say(`target ${t.pid} (${tr.label}) was started by ${tr.starter.pid}, which is alive and not a target`);
      }
      if (props.includes('live-run')) {
        if (tr.run === null) say(`target ${t.pid} (${tr.label}) belongs to no run: it is the machine's own (${row.argv.join(' ') || row.comm})`);
        else if (status === 'running') say(`target ${t.pid} (${tr.label}) belongs to run ${tr.run}, which is running (its main and launch chain are alive)`);
      }
      if (props.includes('scope') && !flags.allProjects && tr.project !== res.projectRoot && !(tr.run !== null && namedRuns.has(tr.run))) {
        say(`target ${t.pid} (${tr.label}) belongs to ${tr.project ?? 'no project'}, not ${res.projectRoot}, and was not named`);
      }
      if (props.includes('never')) {
        if (t.pid === 1) say('pid 1 is a target');
        if (t.pid === opts.selfPid) say(`rerun-doctor itself (${t.pid}) is a target`);
        if (opts.ancestors.includes(t.pid)) say(`an ancestor of rerun-doctor (${t.pid}) is a target`);
        if (row.zombie) say(`zombie ${t.pid} is a target`);
        if (!allowedUid(row.uid, opts)) say(`target ${t.pid} is uid ${row.uid}'s, and clean runs as uid ${opts.uid}${opts.allUsers ? ' with allUsers' : ''}`);
      }
      // The forkserver may go either way: it exits by itself once its workers (the alive pipe's
      // holders) are gone, and it tracks nothing that needs unlinking.
      if (props.includes('phase') && tr.label !== 'forkserver') {
        const want = tr.label === 'tracker' || tr.label === 'shm-manager' ? 'helpers' : 'processes';
        if (t.phase !== want) say(`target ${t.pid} (${tr.label}) has phase ${t.phase}, expected ${want}`);
      }
    }
    // What must (or must not) be planned: judged run by run from the truth.
    const eligible = (pid: number) => {
      const row = rowOf.get(pid)!;
      return !row.zombie && pid !== 1 && pid !== opts.selfPid && !opts.ancestors.includes(pid) && allowedUid(row.uid, opts);
    };
    for (const r of res.runs) {
      const status = res.status.get(r.id);
      const inScope = r.project === res.projectRoot || flags.allProjects;
      const members = liveMembers(res, r.id).filter(eligible);
      if (members.length === 0) continue;
      if (containerLeaders(o, r, members)) continue;
      if (props.includes('completeness') && named.size === 0 && inScope && status === 'dead' && !loneForkCopy(res, r)) {
        const missed = members.filter((pid) => !targets.has(pid) && hasRole(res, r, pid) && !loneHelper(res, r, members, pid, o.census));
        if (missed.length > 0) say(`run ${r.id} is dead (its main is gone or it is not whole) but ${missed.join(', ')} ${missed.length === 1 ? 'is' : 'are'} not planned`);
      }
      if (props.includes('detached') && named.size === 0 && inScope && status === 'detached') {
        const want = detachedExpectation(res, r, flags);
        const planned = members.filter((pid) => targets.has(pid));
        const missed = members.filter((pid) => !targets.has(pid));
        if (want === 'mustNot' && planned.length > 0) say(`run ${r.id} is detached (its main alive, its launcher gone) with nothing newer beside it, and ${planned.join(', ')} ${planned.length === 1 ? 'is' : 'are'} planned (left alone unless includeDetached)`);
        if (want === 'must' && missed.length > 0) say(`run ${r.id} is detached and ${flags.includeDetached ? 'includeDetached is set' : 'a newer server run of the project is beside it'}, but ${missed.join(', ')} not planned`);
      }
    }
    if (props.includes('named')) {
      for (const pid of named) {
        const tr = res.truth.get(pid);
        const r = tr?.run === null || tr?.run === undefined ? undefined : res.runs[tr.run];
        const st = r ? res.status.get(r.id) : null;
        if (r && r.spec.program === 'server' && eligible(pid) && !res.strays.has(pid) && (st === 'dead' || st === 'detached') && !targets.has(pid) && !containerLeaders(o, r, liveMembers(res, r.id))) say(`pid ${pid} was named (--pid) and belongs to the ${st} run ${r.id}, but it is not planned`);
      }
    }
  }
  return out;
}

function render(o: Outcome, c: Case | null): string {
  const last = o.plans[o.plans.length - 1]!.plan;
  const mark = (pid: number) => {
    const marks = o.plans.map(({ plan }, i) => {
      const t = plan.targets.find((x) => x.pid === pid);
      return t ? `${i === 0 ? 'P' : 'F'}:${t.phase}` : '';
    });
    const s = marks.filter(Boolean).join(' ');
    return s ? `   <== TARGET ${s}` : '';
  };
  const runs = last.runs.map((r) => `  plan run ${r.id}: ${r.status} ${r.scope} ${r.cwd ?? '?'} → ${r.decision} (${r.why})`);
  const acts = c ? ['actions:', ...c.actions.map((a) => `  ${a.t === 'launch' ? `launch ${JSON.stringify(a.spec)}` : `event ${JSON.stringify(a.event)}`}`)] : [];
  return [o.world.describe(mark), '(P: planned with plain options, F: with the case\'s flags)', ...runs, ...acts].join('\n');
}

// ---- the property tests ----

const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261126;
const RUNS = process.env.FC_RUNS ? Number(process.env.FC_RUNS) : 300;

function holds(props: readonly Prop[], numRuns = RUNS): void {
  const d = fc.check(
    fc.property(caseArb, (c) => {
      const o = run(c);
      const v = violations(o, props);
      if (v.length > 0) throw new Error(`${v.join('\n')}\n${render(o, c)}`);
    }),
    { seed: SEED, numRuns },
  );
  if (!d.failed) return;
  // The shrunk case's own message: the violations and the process table they happened in.
  const why = d.errorInstance instanceof Error ? d.errorInstance.message : String(d.errorInstance);
  assert.fail(`failed after ${d.numRuns} cases (FC_SEED=${d.seed}, path ${d.counterexamplePath}, shrunk ${d.numShrinks} times):\n${why}`);
}

test('safety: no target has a living starter that is not itself a target (every option set)', () => holds(['starter']));
test('safety: no target belongs to a running run, or to no run at all (the machine\'s own processes)', () => holds(['live-run']));
test('scope: without allProjects or a named pid, every target is the project\'s', () => holds(['scope']));
test('never pid 1, rerun-doctor, its ancestors, a zombie, or another user\'s process', () => holds(['never']));
test('completeness: every live process of a dead, broken run of the project is planned', () => holds(['completeness']));
test('detached runs: left alone when nothing newer is beside them, planned with includeDetached or a newer server run', () => holds(['detached']));
test('plan order: resource trackers and torch_shm_manager are in phase helpers, everything else (but the forkserver) in processes', () => holds(['phase']));
// Server runs only: a non-server main (`python3 train.py`) is not a member of its own run in the
// census (its workers' run reads "running: started by python3 N"), so `--pid N` of it is refused
// rather than guessed. Reported to the lead as an open question, not asserted.
test('a named pid (--pid) of a dead or detached server run is planned', () => holds(['named']));

// ---- the classic shapes, named, so a failure says which situation broke ----

const L = (spec: Partial<LaunchSpec> = {}): Action => ({ t: 'launch', spec: { ...DEFAULT_SPEC, ...spec } });
const E = (event: SimEvent): Action => ({ t: 'event', event });

interface Example {
  world?: Partial<WorldOptions>;
  actions: Action[];
  flags?: Partial<Flags>;
  /** `clean --pid N`: the pid, picked from the simulated world. */
  name?: (res: SimResult) => number;
}

/** Runs the example, checks every property, and returns what the flagged plan targeted. */
function example(x: Example): { o: Outcome; targets: Set<number>; res: SimResult; members: (run: number) => number[] } {
  const world = { ...DEFAULT_WORLD, ...x.world };
  const flags = { ...PLAIN, ...x.flags };
  if (x.name) {
    const pre = simulate(world, x.actions).result(); // deterministic: the same world run() builds
    flags.pickPid = livePids(pre).indexOf(x.name(pre));
  }
  const c: Case = { world, actions: x.actions, flags };
  const o = run(c);
  const v = violations(o, ['starter', 'live-run', 'scope', 'never', 'completeness', 'detached', 'phase', 'named']);
  assert.deepEqual(v, [], `${v.join('\n')}\n${render(o, c)}`);
  const plan = o.plans[1]!.plan;
  return { o, res: o.res, targets: new Set(plan.targets.map((t) => t.pid)), members: (r) => liveMembers(o.res, r) };
}

function same(a: Set<number>, b: number[], o: Outcome, what: string): void {
  assert.deepEqual([...a].sort((x, y) => x - y), [...b].sort((x, y) => x - y), `${what}\n${render(o, null)}`);
}

test('example: a healthy spawn server in a terminal: nothing planned', () => {
  const { o, targets } = example({ actions: [L()] });
  same(targets, [], o, 'nothing of a running server is a target');
});

test('example: main of a spawn server SIGKILLed: its workers and tracker are planned, the tracker last', () => {
  const { o, targets, members } = example({ actions: [L({ workers: 2 }), E({ kind: 'kill-main', run: 0 })] });
  same(targets, members(0), o, 'every survivor of the killed run');
  const tracker = o.plans[1]!.plan.targets.filter((t) => o.res.truth.get(t.pid)?.label === 'tracker');
  assert.equal(tracker.length, 1, 'the resource tracker is planned');
  assert.equal(tracker[0]!.phase, 'helpers', 'and ended after the workers');
});

test('example: setsid workers and torch_shm_manager of a SIGKILLed main: one dead run, all planned', () => {
  const { o, targets, members } = example({ actions: [L({ workers: 3, setsidWorkers: true, shm: 'worker' }), E({ kind: 'kill-main', run: 0 })] });
  same(targets, members(0), o, 'every setsid piece of the run');
  const runs = o.plans[1]!.plan.runs.filter((r) => r.decision === 'clean');
  assert.equal(runs.length, 1, `one run however many sessions its pieces made: ${JSON.stringify(o.plans[1]!.plan.runs)}`);
});

test('example: timeout wrapper SIGKILLed, the only run: detached and whole, left alone; planned with includeDetached', () => {
  const actions = [L({ via: 'timeout' }), E({ kind: 'kill-wrapper', run: 0 })];
  const a = example({ actions });
  same(a.targets, [], a.o, 'a detached server with nothing newer beside it is left alone');
  const b = example({ actions, flags: { includeDetached: true } });
  same(b.targets, b.members(0), b.o, 'includeDetached plans the whole detached run');
});

test('example: nohup start script that exited, the only run: left alone', () => {
  const { o, targets } = example({ actions: [L({ from: 'start-script', workers: 2 })] });
  same(targets, [], o, 'started detached on purpose');
});

test('example: a detached server and a newer run of the project beside it: the detached one is planned', () => {
  const { o, targets, members } = example({ actions: [L({ from: 'start-script' }), L({ from: 'terminal' })] });
  same(targets, members(0), o, 'the stale detached run, not the new one');
});

test('example: another project\'s orphaned workers: not planned; planned with allProjects', () => {
  const actions = [L({ where: 'other' }), E({ kind: 'kill-main', run: 0 })];
  const a = example({ actions });
  same(a.targets, [], a.o, 'never another project unasked');
  const b = example({ actions, flags: { allProjects: true } });
  same(b.targets, b.members(0), b.o, 'allProjects cleans its dead run');
});

test('example: a healthy server under tini -s (a subreaper by name): nothing planned', () => {
  const { o, targets } = example({ actions: [L({ via: 'tini-s' })] });
  same(targets, [], o, 'a subreaper parent that started it is its starter');
});

test('example: main under tini -s SIGKILLed: the workers are planned', () => {
  const { o, targets, members } = example({ actions: [L({ via: 'tini-s', workers: 2 }), E({ kind: 'kill-main', run: 0 })] });
  same(targets, members(0), o, 'the workers tini adopted and then left');
});

test('example: container, sh entrypoint pid 1 and the server pid 2, healthy: nothing planned', () => {
  const { o, targets, res } = example({ world: { kind: 'container', entrypoint: 'sh' }, actions: [] });
  assert.equal(res.runs[0]!.main.pid, 2, 'the server is pid 2');
  same(targets, [], o, 'pid 2 is no kernel thread and its workers are no orphans');
});

test('example: container, the pid-2 server SIGKILLed under a sh entrypoint: its workers under pid 1 are planned', () => {
  const { o, targets, members } = example({ world: { kind: 'container', entrypoint: 'sh' }, actions: [E({ kind: 'kill-main', run: 0 })] });
  same(targets, members(0), o, 'the workers re-parented to the entrypoint shell');
});

test('example: container under tini and dumb-init, healthy, a second server started by docker exec: nothing planned', () => {
  for (const entrypoint of ['tini', 'dumb-init'] as const) {
    const { o, targets } = example({ world: { kind: 'container', entrypoint }, actions: [L({ from: 'container-shell' })] });
    same(targets, [], o, `${entrypoint}: both servers are running`);
  }
});

test('example: unrelated multiprocessing programs with live mains (own dir and the project): nothing planned', () => {
  const { o, targets } = example({ actions: [L({ program: 'mp-program', where: 'other', workers: 3 }), L({ program: 'mp-program', where: 'project', method: 'forkserver' }), L({ program: 'node-cluster', workers: 2 })] });
  same(targets, [], o, 'a live main is alive, whatever it is');
});

test('example: closing the terminal: the job dies of SIGHUP, its setsid workers are left and planned', () => {
  const { o, targets, members } = example({ actions: [L({ workers: 2, setsidWorkers: true }), E({ kind: 'close-terminal', run: 0 })] });
  assert.ok(members(0).length >= 2, `the setsid workers survive the hangup\n${render(o, null)}`);
  same(targets, members(0), o, 'every survivor');
});

test('example: another user\'s orphans in a shared project: never planned as alice; as root with allUsers, planned', () => {
  const actions = [L({ user: 'bob' }), E({ kind: 'kill-main', run: 0 })];
  const a = example({ world: { sharedProject: true }, actions });
  same(a.targets, [], a.o, 'bob\'s processes are bob\'s');
  const b = example({ world: { sharedProject: true, self: 'sudo' }, actions, flags: { allUsers: true } });
  same(b.targets, b.members(0), b.o, 'root with --all-users');
});

test('example: pid wraparound (children below their parents\' pids): a healthy server, nothing planned', () => {
  const { o, targets, res } = example({ world: { wrapPids: true }, actions: [L({ workers: 3, shm: 'main' }), L({ from: 'ide', method: 'forkserver' })] });
  assert.ok(res.snapshot.processes.some((p) => p.pid < p.ppid && p.ppid > 1), `some child has a lower pid than its parent\n${render(o, null)}`);
  same(targets, [], o, 'pids say nothing about age');
});

test('example: fork workers with an inherited socket, main SIGKILLed: every worker planned', () => {
  const { o, targets, members } = example({ actions: [L({ method: 'fork', ports: 'inherited', workers: 3 }), E({ kind: 'kill-main', run: 0 })] });
  same(targets, members(0), o, 'the fork workers still holding :50051');
});

test('example: forkserver, main SIGKILLed: the forkserver, its workers and the tracker are planned', () => {
  const { o, targets, members } = example({ actions: [L({ method: 'forkserver', workers: 2 }), E({ kind: 'kill-main', run: 0 })] });
  assert.ok(members(0).some((pid) => o.res.truth.get(pid)?.label === 'forkserver'), `the forkserver outlives the main (its workers hold the alive pipe)\n${render(o, null)}`);
  same(targets, members(0), o, 'the whole dead run');
});

test('example: rerun-doctor run SIGKILLed: its watchdog ends the run, nothing is left or planned', () => {
  const { o, targets, members } = example({ actions: [L({ via: 'rerun-doctor-run', workers: 2, setsidWorkers: true }), E({ kind: 'kill-wrapper', run: 0 })] });
  same(new Set(members(0)), [], o, 'nothing of the run survives');
  same(targets, [], o, 'nothing to plan');
});

test('example: a systemd --user service and a tmux pane, healthy: nothing planned', () => {
  const { o, targets } = example({ actions: [L({ from: 'systemd-user' }), L({ from: 'tmux', via: 'sh-c' })] });
  same(targets, [], o, 'daemons by design, started by their live starters');
});

test('example: a zombie worker of a live server: never planned', () => {
  const { o, targets } = example({ actions: [L({ workers: 2 }), E({ kind: 'zombie-worker', run: 0, worker: 0 })] });
  same(targets, [], o, 'a zombie holds nothing; its server is alive');
});

test('example: the IDE SIGKILLed: the server it started is detached and whole, left alone', () => {
  const { o, targets } = example({ actions: [L({ from: 'ide', workers: 2 }), E({ kind: 'kill-ide' })] });
  same(targets, [], o, 'detached, the only run');
});

test('example: a worker that started torch_shm_manager SIGKILLed, the server alive: nothing planned', () => {
  const { o, targets } = example({ actions: [L({ workers: 2, shm: 'worker' }), E({ kind: 'kill-worker', run: 0, worker: 0 })] });
  same(targets, [], o, 'the manager serves a running run');
});

// ---- shapes the property test found (issue 8): each is a counterexample it shrank to ----

const labelled = (res: SimResult, label: string) => [...res.truth].filter(([, t]) => t.label === label).map(([pid]) => pid);

test('example: container under tini: a start script\'s server re-parented to tini (pid 1), the only detached run: left alone', () => {
  const { o, targets } = example({ world: { kind: 'container', entrypoint: 'tini' }, actions: [L({ from: 'start-script', workers: 0 })] });
  same(targets, [], o, 'detached on purpose (the same shape under a devcontainer\'s sh or systemd --user is left alone)');
});

test('example: `nohup make serve &` from a start script that exited, a newer run beside it: make is adopted, the run is detached and planned', () => {
  const { o, targets, members } = example({ actions: [L({ from: 'start-script', via: 'make' }), L()] });
  same(targets, members(0), o, 'an adopted launcher is no live starter');
});

test('example: `nohup rerun-doctor run -- …` from a start script that exited, a newer run beside it: the detached run is planned', () => {
  const { o, targets, members } = example({ actions: [L({ from: 'start-script', via: 'rerun-doctor-run' }), L()] });
  same(targets, members(0), o, 'the adopted supervisor, its watchdog and its server');
});

test('example: dumb-init SIGKILLed (its child leads its own session), a newer run beside it: detached, not a daemon of systemd --user, planned', () => {
  const { o, targets, members } = example({ actions: [L({ via: 'dumb-init' }), E({ kind: 'kill-wrapper', run: 0 }), L()] });
  same(targets, members(0), o, 'its cgroup is the terminal\'s scope: systemd --user did not start it');
});

test('example: setsid fork workers of a SIGKILLed main, adopted by systemd --user: planned', () => {
  const { o, targets, members } = example({ actions: [L({ method: 'fork', setsidWorkers: true, workers: 2 }), E({ kind: 'kill-main', run: 0 })] });
  same(targets, members(0), o, 'they lead sessions of their own, but systemd --user started none of them');
});

test('example: an unrelated multiprocessing program with a live main: the fork child of its SIGKILLed worker is not planned', () => {
  const { o, targets } = example({ actions: [L({ program: 'mp-program', grandchild: true, workers: 1 }), E({ kind: 'kill-worker', run: 0, worker: 0 })] });
  same(targets, [], o, 'its group leader is the live main and it holds the live tracker\'s pipe: part of a running program');
});

test('example: torch_shm_manager of a running server whose worker died, named with --pid: not planned', () => {
  const { o, targets } = example({ actions: [L({ method: 'forkserver', shm: 'worker', workers: 3 }), E({ kind: 'zombie-worker', run: 0, worker: 0 })], name: (res) => labelled(res, 'shm-manager')[0]! });
  same(targets, [], o, 'it serves the running server; --pid names dead runs only');
});

test('example: a forkserver worker holding a socket on the fd number the forkserver\'s argv names: still a worker (phase processes)', () => {
  const { o } = example({ actions: [L({ method: 'forkserver', setsidWorkers: true, workers: 1, shm: 'main', ports: 'none' }), E({ kind: 'term-group', run: 0 })] });
  const w = o.plans[0]!.plan.targets.find((t) => o.res.truth.get(t.pid)?.label === 'worker');
  assert.ok(w, `the orphaned worker is planned\n${render(o, null)}`);
  assert.equal(w.phase, 'processes', `a closed fd number is reused by the next socket (POSIX: lowest free fd)\n${render(o, null)}`);
});

test('example: another directory\'s server started in tmux with the project\'s VIRTUAL_ENV inherited, SIGKILLed: not the project\'s', () => {
  const { o, targets } = example({ actions: [L({ venv: true }), L({ from: 'tmux', where: 'other' }), E({ kind: 'kill-main', run: 1 })] });
  same(targets, [], o, 'its cwd says another project; the environment was inherited from the tmux server');
});

test('example: a lone orphaned torch_shm_manager of a SIGKILLed program in the project: left alone as a weak run (THE THIRD LIMIT); --pid ends it', () => {
  const { o, targets, res } = example({ actions: [L({ program: 'mp-program', method: 'fork', workers: 1, shm: 'main' }), E({ kind: 'kill-main', run: 0 })] });
  same(targets, [], o, 'tied to its run by environment only: never ended unasked');
  const mgr = labelled(res, 'shm-manager');
  const census = classify(res.snapshot, CLASSIFY(res.projectRoot));
  const run = o.plans[0]!.plan.runs.find((x) => census.generations.find((g) => g.id === x.id)?.pids.includes(mgr[0]!));
  assert.match(run?.why ?? '', /only by resemblance.*--pid/, `the plan says why and how to end it\n${render(o, null)}`);
  const named = planCleanup(census, { ...o.plans[0]!.opts, pids: mgr });
  assert.deepEqual(named.targets.map((t) => t.pid), mgr, 'named with --pid, it is planned');
});

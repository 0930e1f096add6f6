// Process control, in one place (as psutil has one Process): a process is (pid, start time); one
// function re-reads it and signals only if it is still the same process; one TERM → grace → KILL
// policy; one way to spawn a process group; one way to find a run's processes. Every action that
// starts, signals or ends a process goes through here. docs/architecture.md, "Process control".
export { refKey, sameRef, type ProcessRef } from '../model/process-ref.js';
export {
  checkMany,
  checkSame,
  compareIdentity,
  listProcesses,
  psPidsArgv,
  readIdentities,
  readIdentity,
  withArgv,
  type ControlHost,
  type IdentityRead,
  type ProcessIdentity,
  type Sameness,
} from './process/identity.js';
export { ancestryIn, protectedPids, signalGroup, signalIfSame, signalOwnChild, type OwnChild, type SignalResult } from './process/signal.js';
export {
  describeProgress,
  terminate,
  terminatePhases,
  type TargetSource,
  type TerminateOptions,
  type TerminateOutcome,
  type TerminatePhase,
  type TerminateProgress,
  type TerminateReport,
  type TerminateResult,
} from './process/terminate.js';
export { environCarries, markedEnv, newRunId, RUN_ID_VAR, spawnGroup, type ExitInfo, type SpawnedGroup, type SpawnGroupOptions } from './process/spawn-group.js';
export { carriesMarker, createRunFinder, membersIn, needsTracking, trackIntervalMs, trackRun, type RunFinder, type RunScope, type Tracker } from './process/run-members.js';
export { listenersOf, type Listener, type ListenersResult } from './process/listeners.js';

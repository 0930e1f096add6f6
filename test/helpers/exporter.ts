// Evidence documents for the exporter's tests: the golden captures, and copies with the parts no
// capture has (an NVIDIA GPU, macOS thermal state; no GPU here, the values are nvidia-smi's shapes).
import { readFileSync } from 'node:fs';
import { diagnosisInput } from '../../src/diagnosis/input.js';
import { parseEvidence } from '../../src/evidence/replay.js';
import { factsOf, type Series } from '../../src/exporter/facts.js';
import type { Evidence } from '../../src/model/evidence.js';
import { ok } from '../../src/model/outcome.js';
import { runRules } from '../../src/rules/diagnose.js';
import { fixture } from './paths.js';

export function load(name: string): Evidence {
  const file = fixture('evidence', name, 'evidence.json');
  return parseEvidence(readFileSync(file, 'utf8'), file);
}

export function seriesOf(e: Evidence): Series[] {
  const { input } = diagnosisInput(e);
  return factsOf(e, input, runRules(input));
}

/** A copy of rerun-after-kill with an NVIDIA GPU: orphan 93 holds 9000 MiB, the running server 95 5000 MiB. */
export function withGpu(e: Evidence): Evidence {
  const c = structuredClone(e);
  c.gpu = ok(
    {
      vendor: 'nvidia',
      devices: [
        { index: 0, uuid: 'GPU-0f1e', name: 'NVIDIA H100 80GB HBM3', memoryUsedMiB: 14_500, memoryTotalMiB: 81_559, utilizationPercent: 3, temperatureC: 41, activeEventReasons: [], eventReasonCounters: {} },
        { index: 1, uuid: 'GPU-77aa', name: 'NVIDIA H100 80GB HBM3', memoryUsedMiB: 0, memoryTotalMiB: 81_559, utilizationPercent: 0, temperatureC: 35, activeEventReasons: [], eventReasonCounters: {} },
      ],
      processes: [
        { pid: 93, usedMemoryMiB: 9000, gpuUuid: 'GPU-0f1e', source: 'nvidia-smi' },
        { pid: 95, usedMemoryMiB: 5000, gpuUuid: 'GPU-0f1e', source: 'nvidia-smi' },
      ],
      driverVersion: '590.48.01',
      sources: ['nvidia-smi'],
    },
    'nvidia-smi',
  );
  return c;
}

/** A copy with macOS-style thermal evidence (pressure level 2). */
export function withThermal(e: Evidence): Evidence {
  const c = structuredClone(e);
  const t = { platform: 'darwin' as const, cpus: [], coolingDevices: [], cpuPressureSomeAvg10: null, cpuSpeedLimitPercent: null, thermalPressureLevel: 2, gpuThermalSlowdown: [], sources: ['notifyutil'] };
  c.thermal = ok({ first: t, last: t }, 'notifyutil');
  return c;
}


/** Documents that between them produce every series the exporter computes from evidence. */
export const allDocuments = (): Evidence[] => [load('killed-main'), withGpu(load('rerun-after-kill')), load('shm-leak'), withThermal(load('healthy-server'))];

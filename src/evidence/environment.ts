// The versions a bug report needs: the tool, Node, the OS, the server's Python, the GPU driver.
import { looksLikePython } from '../census/fingerprints.js';
import type { Host } from '../host/host.js';
import type { Census } from '../model/census.js';
import type { EnvironmentInfo } from '../model/evidence.js';
import type { GpuEvidence } from '../model/gpu.js';
import type { Outcome } from '../model/outcome.js';
import { version } from '../version.js';

/** The server's interpreter's version, asked through the host (argv, a timeout): "Python 3.11.2 (/usr/bin/python3.11)". */
async function pythonVersion(host: Host, python: string | null): Promise<string> {
  for (const exe of [python, 'python3'].filter((x): x is string => x !== null)) {
    const r = await host.run([exe, '--version'], { timeoutMs: 3000 });
    // Python 2 printed its version on stderr.
    const v = (r.stdout.trim() || r.stderr.trim()).split('\n')[0];
    if (r.code === 0 && v) return `${v} (${exe})`;
  }
  return 'unknown';
}

export async function environmentInfo(host: Host, census: Census, gpu: Outcome<GpuEvidence>): Promise<EnvironmentInfo> {
  // Only a Python server's interpreter is asked its version (a port holder may be anything).
  const server = census.processes.find((p) => p.role === 'server' && p.exe && looksLikePython(p.argv, p.comm, p.exe));
  const sys = host.system();
  return {
    tool: `rerun-doctor ${version()}`,
    node: sys.node,
    os: `${sys.os} (${host.platform})`,
    python: await pythonVersion(host, server?.exe ?? null),
    driver: gpu.status === 'ok' ? (gpu.value.driverVersion ?? 'unknown') : `unavailable (${gpu.reason})`,
  };
}

// Project scope: is a process part of the project rerun-doctor was asked about? The project is the
// config file's directory (or the cwd); a process belongs to it by its working directory, its
// executable or script path, or its environment (PWD where it was started, the project
// `rerun-doctor run` marked it with). Not by VIRTUAL_ENV or CONDA_PREFIX: an activated
// environment is inherited by everything started below (a tmux server's panes, whatever their
// directory). Pure. docs/attribution.md, "Project scope".
import type { ProcessInfo } from '../model/snapshot.js';

export function under(path: string | null | undefined, root: string): boolean {
  if (!path) return false;
  const p = path.replace(/ \(deleted\)$/, '');
  if (root === '/') return p.startsWith('/');
  const r = root.replace(/\/+$/, '');
  return p === r || p.startsWith(`${r}/`);
}

/** Why p belongs to the project at root, or null (including when nothing about it could be read). */
export function projectEvidence(p: ProcessInfo, root: string): string | null {
  if (under(p.cwd, root)) return `its working directory ${p.cwd} is in the project`;
  const env = p.env ?? {};
  if (under(env.RERUN_DOCTOR_PROJECT, root)) return `rerun-doctor run started it for the project ${env.RERUN_DOCTOR_PROJECT}`;
  if (under(env.PWD, root)) return `it was started from ${env.PWD} (PWD)`;
  if (under(p.exe, root)) return `its executable ${p.exe} is in the project`;
  for (const a of p.argv.slice(0, 3)) if (a.startsWith('/') && under(a, root)) return `its command names ${a}, in the project`;
  return null;
}

/** Whether anything that could place p in a project was readable at all. */
export function scopeReadable(p: ProcessInfo): boolean {
  return p.cwd !== null || (p.env !== undefined && Object.keys(p.env).length > 0) || p.exe !== null;
}

// Flags that several commands take with one meaning, declared once for their flag tables.
import { configFlag } from './config-flags.js';
import type { FlagSpec, FlagTable } from './flags.js';

export const FAIL_ON = { type: 'string', value: 'LEVEL', choices: ['error', 'warning', 'info'], help: 'exit 1 for findings at or above this severity', defaultText: 'error' } as const satisfies FlagSpec;

export const NO_METRICS = { type: 'boolean', help: "do not read the server's metrics" } as const satisfies FlagSpec;

export const QUICK = { type: 'boolean', help: 'one metrics sample, no window (interval values need two)' } as const satisfies FlagSpec;

export const WIDE = { type: 'boolean', help: 'do not cut command lines to the terminal width' } as const satisfies FlagSpec;

export const REDACT = { type: 'boolean', help: 'show secrets in command lines, paths and URLs as [REDACTED], by the rules of evidence (docs/evidence-redaction.md)' } as const satisfies FlagSpec;

/** The help's note, for commands that print command lines in clear (procs, ports). */
export const SHAREABLE_NOTE = `Command lines are shown as they are, secrets included (--api-key=…, HF_TOKEN=…, URLs with a
password), unless --redact. To share what you see, use \`rerun-doctor evidence\`: the shareable
output, redacted and trimmed to what the diagnosis reads.`;

/** A metrics scrape's flags, as metrics and watch metrics take them (diagnose takes the first two). */
export const SCRAPE_FLAGS = {
  timeout: configFlag('timeout', 'for each scrape'),
  'max-bytes': configFlag('max-bytes'),
  'max-series': configFlag('max-series'),
  format: { type: 'string', value: 'F', choices: ['openmetrics', 'prometheus', 'any'], help: 'ask for OpenMetrics or Prometheus text only', defaultText: 'any: either' },
} as const satisfies FlagTable;

/** Colour on or off whatever the environment says (src/cli/terminal.ts: the one decision, docs/output.md). */
export const COLOR_FLAGS = {
  color: { type: 'boolean', help: 'colour the output even when it is not a terminal (wins over FORCE_COLOR and NO_COLOR)' },
  'no-color': { type: 'boolean', help: 'no colour, even on a terminal (wins over FORCE_COLOR)' },
} as const satisfies FlagTable;

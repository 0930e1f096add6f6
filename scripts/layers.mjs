// The layers of src/ and what each may import (docs/architecture.md, "Layers"). Read by
// eslint.config.js (no-restricted-imports per folder, so an editor flags a wrong import as it is
// typed) and by test/architecture/imports.test.ts (the whole graph, type imports included, and no
// cycles). A folder not named here fails that test: every new folder takes a place in the table.
//
// Lowest first. `model` is plain types and tiny pure helpers; `host` is the only code that touches
// the machine; probes read one kind of evidence; the census and the rules are pure; `evidence`
// collects the one document everything judges; renderers turn results into text; actions change
// the machine; `cli` is the only place that knows about flags, exit codes and the terminal.
export const LAYERS = {
  'version.ts': ['host'],
  model: [],
  host: ['model'],
  os: ['model', 'host'],
  probes: ['model', 'host', 'os'],
  config: ['model', 'host'],
  state: ['model', 'host'],
  metrics: ['model', 'config'],
  census: ['model', 'host', 'probes'],
  watch: ['model', 'host', 'probes', 'census', 'metrics', 'config'],
  rules: ['model', 'census', 'metrics', 'config'],
  diagnosis: ['model', 'census', 'rules'],
  evidence: ['model', 'host', 'probes', 'census', 'metrics', 'config', 'state', 'watch', 'diagnosis', 'version.ts'],
  render: ['model', 'census', 'metrics'],
  report: ['model', 'census', 'metrics', 'rules', 'diagnosis', 'evidence', 'render'],
  exporter: ['model', 'host', 'probes', 'census', 'metrics', 'config', 'state', 'evidence', 'diagnosis', 'rules', 'version.ts'],
  actions: ['model', 'host', 'os', 'probes', 'census', 'config', 'state', 'evidence', 'diagnosis', 'rules', 'version.ts'],
  cli: ['*'],
  'index.ts': ['*'],
};

// Lint: typescript-eslint's recommended type-aware-free rules, run by `npm test`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { LAYERS } from './scripts/layers.mjs';

// One process-control module (docs/architecture.md, "Process control"): only it and the Host
// start processes; everything else goes through them.
const CHILD_PROCESS = ['node:child_process', 'child_process'].map((name) => ({ name, message: 'start processes through src/actions/process-control.ts (spawnGroup) or host.run', allowTypeImports: true }));

// The layers (scripts/layers.mjs): a file may import only from the layers below its own.
const FOLDERS = Object.keys(LAYERS).filter((k) => !k.endsWith('.ts'));
function layerRule(layer, { childProcess }) {
  const allowed = LAYERS[layer];
  const banned = allowed.includes('*') ? [] : FOLDERS.filter((f) => f !== layer && !allowed.includes(f));
  const patterns = banned.map((f) => ({ group: [`**/${f}/**`], message: `src/${layer} may import only ${allowed.join(', ') || 'nothing'} (scripts/layers.mjs, docs/architecture.md "Layers")` }));
  if (!allowed.includes('*') && !allowed.includes('version.ts')) patterns.push({ group: ['**/version.js'], message: `src/${layer} may not read the version (scripts/layers.mjs)` });
  // host/builtins.ts hands out node:child_process lazily (start-up time): the same rule holds for it.
  if (childProcess) patterns.push({ group: ['**/host/builtins.js'], importNames: ['childProcess'], message: CHILD_PROCESS[0].message });
  return ['error', { paths: childProcess ? CHILD_PROCESS : [], patterns }];
}


export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/fixtures/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', performance: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  { files: ['scripts/**', 'bench/**'], rules: { 'no-console': 'off' } },
  ...FOLDERS.map((layer) => ({
    files: [`src/${layer}/**/*.ts`],
    rules: { '@typescript-eslint/no-restricted-imports': layerRule(layer, { childProcess: layer !== 'host' }) },
  })),
  // The process-control module itself starts processes (and only it, besides the Host).
  { files: ['src/actions/process/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': layerRule('actions', { childProcess: false }) } },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/host/**', 'src/actions/process/**'],
    rules: {
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.object.name='process'][callee.property.name='kill']", message: 'signal through src/actions/process-control.ts (signalIfSame, signalOwnChild, terminate)' }],
    },
  },
  {
    // Under tsx, a failing assert.ok() without a message makes Node re-read the source at the
    // transformed position to print the expression, which can hang; so every assert.ok says why.
    files: ['test/**'],
    rules: {
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.object.name='assert'][callee.property.name='ok'][arguments.length<2]", message: 'give assert.ok a message (see eslint.config.js)' }],
    },
  },
);

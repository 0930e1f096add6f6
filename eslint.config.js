// Lint: typescript-eslint's recommended type-aware-free rules, run by `npm test`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
  {
    // One process-control module (docs/architecture.md, "Process control"): only it and the Host
    // start processes or send signals; everything else goes through them.
    files: ['src/**/*.ts'],
    ignores: ['src/host/**', 'src/actions/process/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { paths: [
        { name: 'node:child_process', message: 'start processes through src/actions/process-control.ts (spawnGroup) or host.run', allowTypeImports: true },
        { name: 'child_process', message: 'start processes through src/actions/process-control.ts (spawnGroup) or host.run', allowTypeImports: true },
      ] }],
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

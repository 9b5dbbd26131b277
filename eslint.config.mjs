import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.aws-sam/', '.venv-tools/', '.local/', '.tmp*/', 'coverage/', 'layers/runtime/', 'local/public/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Each file is typed by its nearest tsconfig.json (the root one, or packages/client's for its JSDoc-typed JS);
        // the PGlite worker is plain JavaScript outside both, typed from its imports and JSDoc.
        projectService: { allowDefaultProject: ['local/backends/pglite-worker.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // An async function without await is how a no-op close() or a test fake meets a Promise-returning interface.
      '@typescript-eslint/require-await': 'off',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['tests/**'],
    rules: {
      // Tests assert on untyped wire data (parsed bodies, frames) with jest's asymmetric matchers, typed any: expect() is the check.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  // The tools' own configuration files, outside every tsconfig.
  { files: ['eslint.config.mjs', 'jest.config.js'], ...tseslint.configs.disableTypeChecked },
);

// Type-aware lint. `npm run lint` fails on any warning.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'coverage/**',
      'node_modules/**',
      '.kafka/**',
      '.services/**',
      '*.config.js',
      '*.config.mjs',
      'dist-bench/**',
      'bench/results/**',
      'scripts/*.cjs',
      '.dependency-cruiser.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/require-await': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-extraneous-class': ['error', { allowWithDecorator: true }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      curly: ['error', 'all'],
      // Nest declares its option types as classes; plain object literals are its documented usage.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      'no-console': 'error',
    },
  },
  {
    // Nest injects by emitted decorator metadata: a type-only import of an injected class breaks DI.
    files: ['src/**/*.ts'],
    rules: {
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
  {
    // Only the Kafka adapter talks to kafkajs; only the Tango client talks to undici. (The simulator, a separate
    // program in simulator/, is outside src/ and not bound by this.)
    files: ['src/**/*.ts'],
    ignores: ['src/kafka/**', 'src/tango/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'kafkajs', message: 'Use the Kafka adapter in src/kafka.' },
            { name: 'undici', message: 'Use the Tango client in src/tango.' },
          ],
        },
      ],
    },
  },
  {
    // Small named steps: no function over 80 lines outside the simulator (a separate program) and the spec files,
    // whose describe blocks are declarative lists of cases.
    files: ['src/**/*.ts', 'src/**/*.js', 'bench/**/*.ts', 'test/support/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  {
    // The console's page script: plain browser JavaScript served as is (no build step), linted without types.
    files: ['src/console/static/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'script',
      globals: { ...globals.browser, uPlot: 'readonly' },
    },
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      curly: 'off',
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      'no-console': 'off',
    },
  },
);

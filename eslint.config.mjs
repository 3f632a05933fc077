// ESLint flat config: @eslint/js and typescript-eslint recommended, then eslint-config-prettier
// last so no stylistic rule fights prettier (formatting is prettier's job: `npm run format`).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['**/dist/', '**/node_modules/', 'data/', 'coverage/', 'bench/results/']),
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    // src/migrations stays linted: the generated migrations pass as they are.
    files: ['{src,test,bench,scripts}/**/*.{ts,mts}', 'packages/*/{src,test,web}/**/*.{ts,mts}', '*.{ts,mts,mjs}'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      // Unused on purpose: named with a leading _ (`(_, i) =>`, `const { ephemeral: _e, ...rest }`); an unused catch binding is left out (`catch {`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'all', caughtErrorsIgnorePattern: '^_' }],
    },
  },
  prettier,
);

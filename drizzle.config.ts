import { defineConfig } from 'drizzle-kit';

/** `npm run db:generate` diffs `src/platform/db/schema` into SQL files under `migrations/`. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/platform/db/schema/index.ts',
  out: './migrations',
  casing: 'snake_case',
});

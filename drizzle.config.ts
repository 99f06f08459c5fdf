import { defineConfig } from 'drizzle-kit';

// `npx drizzle-kit generate --name <what>` writes the next SQL migration from src/**/tables.ts.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/tables.ts',
  out: './drizzle',
});

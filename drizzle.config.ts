import { defineConfig } from 'drizzle-kit';

// `npx drizzle-kit generate --name <what>` writes the next SQL migration from src/**/schema.ts.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './drizzle',
});

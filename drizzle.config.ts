/** drizzle-kit: `npm run db:generate` writes migrations for lib/tiers/durable/schema.ts into drizzle/. */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './lib/tiers/durable/schema.ts',
  out: './drizzle',
});

/** Where drizzle-kit writes the migrations (drizzle/ at the repository root), for every migrator. */
import { fileURLToPath } from 'node:url';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../drizzle', import.meta.url));

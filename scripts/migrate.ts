/** `npm run db:migrate`: applies pending migrations to the PostgreSQL that DATABASE_URL names. */
import { migrateDatabase } from './local/database.ts';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL must name the database to migrate.');
  process.exit(2);
}
try {
  const applied = await migrateDatabase(url);
  console.log(applied.length > 0 ? `Applied: ${applied.join(', ')}` : 'Up to date.');
  process.exit(0);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

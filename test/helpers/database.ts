/**
 * Each test file gets its own database: in-memory PGlite by default, or a fresh database on
 * the PostgreSQL server named by TEST_DATABASE_URL (created here, dropped afterwards).
 *
 * Both start migrated: the global setup (test/helpers/global-setup.ts) migrates one template per
 * run, a PostgreSQL database that each file's database is created from (`create database …
 * template …`) and an image of a PGlite data directory that each in-memory database is loaded from.
 * Creating PGlite's cluster and applying the migrations once per file was most of the suite's
 * time on PGlite; the service's own start-up still runs the migrator, which finds them applied.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { loadConfig, type DatabaseConfig } from '../../src/config.js';
import { migrateDatabase, openDatabase, type Database } from '../../src/db/database.js';
import { ROOT } from './process.js';

export interface TestDatabase {
  /** value for DATABASE_URL */
  url: string;
  drop(): Promise<void>;
}

export const usingPostgres = Boolean(process.env.TEST_DATABASE_URL);

declare module 'vitest' {
  export interface ProvidedContext {
    /** the migrated template database on TEST_DATABASE_URL's server, or '' on PGlite */
    postgresTemplate: string;
    /** the file holding a migrated PGlite data directory image, or '' on PostgreSQL */
    pgliteImage: string;
  }
}

/** What the global setup made, or nothing when a file runs without it (then: migrate as usual). */
function provided(key: 'postgresTemplate' | 'pgliteImage'): string {
  try {
    return inject(key) ?? '';
  } catch {
    return '';
  }
}

/**
 * A fresh database for a test file. `{ migrated: false }`: an empty one, for tests of the migrations
 * themselves (on PGlite every database opened without `withTemplate` is empty).
 */
export async function createTestDatabase({ migrated = true } = {}): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) return { url: 'memory://', drop: async () => {} };
  const name = `labline_test_${randomBytes(6).toString('hex')}`;
  const template = migrated ? provided('postgresTemplate') : '';
  await withAdmin(serverUrl, (c) =>
    c.query(`create database ${name}${template ? ` template ${template}` : ''}`),
  );
  return {
    url: databaseUrl(serverUrl, name),
    drop: () =>
      withAdmin(serverUrl, (c) => c.query(`drop database if exists ${name} with (force)`)).then(() => {}),
  };
}

/** The image file, read once per test process (a Blob is immutable: every database can load it). */
let imageBlob: Blob | null = null;

/** An in-memory PGlite starts from the migrated image; any other database is as configured. */
export function withTemplate(config: DatabaseConfig): DatabaseConfig {
  const image = provided('pgliteImage');
  if (config.kind !== 'pglite' || config.dataDir !== null || !image) return config;
  imageBlob ??= new Blob([fs.readFileSync(image)]);
  return { ...config, image: imageBlob };
}

/** The service's database handle on `testDb`, with the migrations applied (close it after). */
export async function openMigratedDatabase(testDb: TestDatabase): Promise<Database> {
  const config = loadConfig({ DATABASE_URL: testDb.url });
  const database = await openDatabase(withTemplate(config.database));
  await migrateDatabase(config.database, database);
  return database;
}

/**
 * The templates, for the global setup: on PostgreSQL a migrated database named `name` on the
 * server; on PGlite a migrated data directory image written to `imageFile`.
 */
export async function makeTemplates(
  name: string,
  imageFile: string,
): Promise<{ postgresTemplate: string; pgliteImage: string; drop(): Promise<void> }> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) {
    await withAdmin(serverUrl, (c) => c.query(`create database ${name}`));
    const config = loadConfig({ DATABASE_URL: databaseUrl(serverUrl, name) });
    const database = await openDatabase(config.database);
    await migrateDatabase(config.database, database);
    await database.close();
    return {
      postgresTemplate: name,
      pgliteImage: '',
      drop: () =>
        withAdmin(serverUrl, (c) => c.query(`drop database if exists ${name} with (force)`)).then(() => {}),
    };
  }
  // The service's migrator on a PGlite of our own, whose data directory can then be dumped.
  const [{ PGlite }, { drizzle }, { migrate }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  const client = new PGlite();
  await migrate(drizzle(client), { migrationsFolder: path.join(ROOT, 'drizzle') });
  const image = await client.dumpDataDir('none');
  fs.writeFileSync(imageFile, Buffer.from(await image.arrayBuffer()));
  await client.close();
  return {
    postgresTemplate: '',
    pgliteImage: imageFile,
    drop: async () => fs.rmSync(imageFile, { force: true }),
  };
}

function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

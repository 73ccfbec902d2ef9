import { loadDatabaseConfig, type AppConfig } from '../../apps/resend-service/src/config/app-config.js';

/** The database settings as the service reads them; a bad one ends the script with its message. */
export function databaseSettingsOrExit(): AppConfig['database'] {
  try {
    return loadDatabaseConfig().database;
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}

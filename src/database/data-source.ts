// Used by the TypeORM CLI (`npm run migration:run|revert|show`). Needs only the DATABASE_* variables.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadDatabaseConfigFromProcessEnv } from '../config/process-env';
import { buildDataSourceOptions } from './data-source-options';

export default new DataSource({
  ...buildDataSourceOptions(loadDatabaseConfigFromProcessEnv(), 'tango-sync-cli'),
  // The CLI talks to a person: plain console output, without queries.
  logger: 'simple-console',
  logging: ['error', 'warn', 'migration', 'info', 'log', 'schema'],
});

import { type AppConfig } from '../config/app-config';

/** Injection token for the retention settings (derived from AppConfig; tests may provide their own). */
export const RETENTION_SETTINGS = Symbol('RETENTION_SETTINGS');

export type RetentionSettings = AppConfig['retention'];

export function retentionSettingsFrom(config: AppConfig): RetentionSettings {
  return config.retention;
}

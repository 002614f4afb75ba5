/**
 * The app's run-time settings: `/app/config.json`, written at deploy time by the stack and served
 * locally by `npm start` (or by Vite's dev server), so one build serves every stage.
 */
import type { AppConfig } from '../../../client/app-config.ts';

export type { AppConfig };

const keys: (keyof AppConfig)[] = [
  'apiUrl',
  'authority',
  'clientId',
  'redirectUri',
  'logoutUri',
  'logoutEndpoint',
  'scope',
];

/** Reads config.json beside the app, failing with the name of a missing setting. */
export async function loadAppConfig(): Promise<AppConfig> {
  const response = await fetch(`${import.meta.env.BASE_URL}config.json`, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${import.meta.env.BASE_URL}config.json answered ${response.status}`);
  const config = (await response.json()) as Partial<AppConfig>;
  const missing = keys.filter((key) => typeof config[key] !== 'string' || config[key] === '');
  if (missing.length > 0) throw new Error(`config.json lacks ${missing.join(', ')}`);
  return config as AppConfig;
}

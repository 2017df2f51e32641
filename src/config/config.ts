// Loads, merges and validates the tap's config before any request is made.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { ConfigError, messageOf } from '../errors.js';
import { connectionSpecification, DEFAULT_BASE_URL } from './spec.js';
import { TOKEN_ENV } from './token-env.js';
import { configValidator as validateConfig } from '../generated/config-validator.js';
import { nearestName } from './nearest.js';
import { describeAjvErrors } from './validation.js';

export { TOKEN_ENV };

export interface TapConfig {
  token: string;
  organizations: string[];
  /** Unix seconds, from the config's RFC 3339 start_date. */
  startDate: number | undefined;
  baseUrl: string;
  pageSize: number;
  maxConcurrency: number;
  requestTimeoutMs: number;
  maxAttempts: number;
  checkpointIntervalMs: number;
  maxResponseBytes: number;
  retryBaseMs: number;
  deploymentsLookbackDays: number;
  usageLookbackDays: number;
}

/** Reads one JSON file; the message names the file and what is wrong with it. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : messageOf(error);
    throw new ConfigError(`cannot read ${what} file '${path}': ${reason}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError(`${what} file '${path}' is not valid JSON${jsonErrorPosition(text, error)}`);
  }
}

/**
 * Where a JSON document is broken, as line and column. JSON.parse's own message quotes the text
 * around the error, which in a config file may be the token, so it is never shown.
 */
export function jsonErrorPosition(text: string, error: unknown): string {
  const match = /position (\d+)/.exec(messageOf(error));
  if (!match) return text.trim() === '' ? ' (the file is empty)' : '';
  const offset = Number(match[1]);
  const before = text.slice(0, offset).split('\n');
  return ` (line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1})`;
}

export const ENV_PREFIX = 'TAP_PULUMI_CLOUD_';
/** `--config ENV` reads the settings from TAP_PULUMI_CLOUD_<SETTING>, as Meltano SDK taps do. */
export const CONFIG_FROM_ENV = 'ENV';

/** Settings from the environment, typed by the config schema: arrays as JSON or comma-separated. */
export function configFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(connectionSpecification.properties)) {
    const text = env[ENV_PREFIX + name.toUpperCase()];
    if (text === undefined || text === '') continue;
    const type: string = property.type;
    if (type === 'array') config[name] = text.trim().startsWith('[') ? parseEnvJson(name, text) : text.split(',').map((s) => s.trim()).filter(Boolean);
    else if (type === 'integer' || type === 'number') config[name] = /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text;
    else config[name] = text;
  }
  return config;
}

function parseEnvJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ConfigError(`${ENV_PREFIX}${name.toUpperCase()} is not a valid JSON array`);
  }
}

/**
 * Merges config files in order (later files win; `ENV` stands for the environment) and validates the
 * result. `warn` hears of settings that are not known (a misspelt one would otherwise be ignored).
 */
export async function loadConfig(paths: readonly string[], env: NodeJS.ProcessEnv, warn: (message: string) => void = () => undefined): Promise<TapConfig> {
  if (paths.length === 0) throw new ConfigError('no config given: pass --config FILE (or --config ENV)');
  let merged: Record<string, unknown> = {};
  for (const path of paths) {
    const value = path === CONFIG_FROM_ENV ? configFromEnv(env) : await readJsonFile(path, 'config');
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ConfigError(`config file '${path}' must hold a JSON object`);
    }
    merged = { ...merged, ...(value as Record<string, unknown>) };
  }
  for (const message of unknownSettings(merged)) warn(message);
  return parseConfig(merged, env);
}

const KNOWN_SETTINGS: readonly string[] = Object.keys(connectionSpecification.properties);

/** One line per unknown setting, naming the nearest known one when there is a likely match. */
export function unknownSettings(config: Record<string, unknown>): string[] {
  return Object.keys(config)
    .filter((key) => !KNOWN_SETTINGS.includes(key))
    .map((key) => {
      const nearest = nearestSetting(key);
      return `config: unknown setting '${key}' is ignored${nearest ? ` (did you mean '${nearest}'?)` : ` (known settings: ${KNOWN_SETTINGS.join(', ')})`}`;
    });
}

function nearestSetting(key: string): string | undefined {
  return nearestName(key.trim().toLowerCase().replace(/[-\s.]/g, '_'), KNOWN_SETTINGS);
}

export function parseConfig(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): TapConfig {
  const withToken = { ...raw };
  if (withToken.token === undefined && env[TOKEN_ENV]) withToken.token = env[TOKEN_ENV];
  // A token pasted with a newline or spaces around it is still the token.
  if (typeof withToken.token === 'string') withToken.token = withToken.token.trim();
  if (!validateConfig(withToken)) {
    const problems = describeAjvErrors(validateConfig).replace("'token' is required", `'token' is required (or set ${TOKEN_ENV})`);
    throw new ConfigError(`invalid config: ${problems}`);
  }
  const c = withToken as {
    token: string;
    organizations: string[];
    start_date?: string;
    base_url?: string;
    page_size?: number;
    max_concurrency?: number;
    request_timeout_seconds?: number;
    max_attempts?: number;
    checkpoint_interval_seconds?: number;
    max_response_mb?: number;
    retry_base_seconds?: number;
    deployments_lookback_days?: number;
    usage_lookback_days?: number;
  };
  const startDate = c.start_date === undefined ? undefined : Date.parse(c.start_date);
  if (c.start_date !== undefined && (startDate === undefined || Number.isNaN(startDate) || !isCalendarDate(c.start_date))) {
    throw new ConfigError(`invalid config: 'start_date' is not a real date: ${c.start_date}`);
  }
  const p = connectionSpecification.properties;
  return {
    token: c.token,
    organizations: c.organizations,
    startDate: startDate === undefined ? undefined : Math.floor(startDate / 1000),
    baseUrl: checkBaseUrl(c.base_url ?? DEFAULT_BASE_URL),
    pageSize: c.page_size ?? p.page_size.default,
    maxConcurrency: c.max_concurrency ?? p.max_concurrency.default,
    requestTimeoutMs: (c.request_timeout_seconds ?? p.request_timeout_seconds.default) * 1000,
    maxAttempts: c.max_attempts ?? p.max_attempts.default,
    checkpointIntervalMs: (c.checkpoint_interval_seconds ?? p.checkpoint_interval_seconds.default) * 1000,
    maxResponseBytes: (c.max_response_mb ?? p.max_response_mb.default) * 2 ** 20,
    retryBaseMs: (c.retry_base_seconds ?? p.retry_base_seconds.default) * 1000,
    deploymentsLookbackDays: c.deployments_lookback_days ?? p.deployments_lookback_days.default,
    usageLookbackDays: c.usage_lookback_days ?? p.usage_lookback_days.default,
  };
}

/** Date.parse rolls 2024-02-30 over to March: check the day exists. */
function isCalendarDate(value: string): boolean {
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** The token must not travel in clear text, except to this machine (tests, local proxies). */
export function checkBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`invalid config: 'base_url' is not a URL: ${value}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`invalid config: 'base_url' must be an https URL, not ${url.protocol}`);
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw new ConfigError(`invalid config: 'base_url' must use https (plain http is allowed only for loopback addresses): ${url.origin}`);
  }
  if (url.username || url.password) throw new ConfigError("invalid config: 'base_url' must not carry credentials");
  return url.origin + url.pathname.replace(/\/+$/, '');
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

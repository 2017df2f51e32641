// Small, total conversions from loosely typed API JSON to record fields: a missing, null or
// unexpected value becomes null instead of a crash.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function asObject(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

export function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function int(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) ? value : null;
}

export function bool(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

/** The API uses few distinct keys, and every record converts them: remember each conversion. */
const snakeCache = new Map<string, string>();
const SNAKE_CACHE_LIMIT = 10_000;

export function camelToSnake(key: string): string {
  let snake = snakeCache.get(key);
  if (snake === undefined) {
    snake = key
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
      .toLowerCase();
    if (snakeCache.size < SNAKE_CACHE_LIMIT) snakeCache.set(key, snake);
  }
  return snake;
}

/** Renames the API's own camelCase keys to snake_case, all the way down. Not for data maps. */
export function snakeKeys(value: unknown): Json {
  if (Array.isArray(value)) return value.map(snakeKeys);
  const object = asObject(value);
  if (object) {
    const out: JsonObject = {};
    for (const [key, inner] of Object.entries(object)) out[camelToSnake(key)] = snakeKeys(inner);
    return out;
  }
  return value === undefined ? null : (value as Json);
}

/** An API object with snake_case keys, or null when the API sent none. */
export function snakeObject(value: unknown): JsonObject | null {
  const object = asObject(value);
  return object ? (snakeKeys(object) as JsonObject) : null;
}

export function snakeArray(value: unknown): JsonObject[] | null {
  if (!Array.isArray(value)) return null;
  return value.map((item) => snakeObject(item)).filter((item): item is JsonObject => item !== null);
}

/** A map whose keys are data (config keys, environment variables): kept exactly as sent. */
export function dataMap<T>(value: unknown, convert: (inner: unknown) => T): Record<string, T> | null {
  const object = asObject(value);
  if (!object) return null;
  const out: Record<string, T> = {};
  for (const [key, inner] of Object.entries(object)) out[key] = convert(inner);
  return out;
}

/**
 * A data map whose values must all be of one kind: the parsed object itself when they already are
 * (the usual case, and no copy on the hot path), a converted copy otherwise.
 */
export function uniformMap<T>(value: unknown, isKind: (inner: unknown) => inner is T, convert: (inner: unknown) => T | null): Record<string, T | null> | null {
  const object = asObject(value);
  if (!object) return null;
  for (const key in object) if (!isKind(object[key])) return dataMap(object, convert);
  return object as Record<string, T>;
}

export const isString = (v: unknown): v is string => typeof v === 'string';
export const isInteger = (v: unknown): v is number => Number.isInteger(v);

// Conversions from loosely typed API JSON to record fields. Ordinary fields are lenient: a missing,
// null or unexpected value becomes null instead of a crash. Keys and replication cursors are strict:
// a value that cannot be taken exactly throws a RecordError rather than becoming an invented one.
import { parseTimestamp } from '../core/cursor.js';
import { RecordError } from '../errors.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function asObject(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/**
 * Adds `key` as an own property whatever its name. Plain assignment of `__proto__` would replace the
 * object's prototype instead and the key would vanish from the record; every other name assigns normally.
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

export function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** Canonical decimal digits: no sign on zero, no leading zeros, no spaces, exponent or fraction. */
const INTEGER_TEXT = /^(?:0|-?[1-9][0-9]*)$/;

/**
 * An integer the API gave exactly: a safe integer, or a string of its decimal digits ("42"). Beyond
 * 2^53 - 1 a number is not exact (JSON.parse has already rounded 9007199254740993), so it is refused.
 */
export function int(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  if (typeof value !== 'string' || !INTEGER_TEXT.test(value)) return null;
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) ? parsed : null;
}

export function bool(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

const BRIEF_LIMIT = 40;

/** A value as an error message shows it: JSON, cut short. */
export function brief(value: unknown): string {
  if (value === undefined) return 'nothing (absent)';
  const text = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? typeof value);
  return text.length > BRIEF_LIMIT ? `${text.slice(0, BRIEF_LIMIT)}…` : text;
}

const EXACT_INTEGER = 'an integer within ±(2^53 - 1), as a number or a string of digits';

/** A string key property: the record cannot be keyed without one. */
export function keyString(value: unknown, field: string): string {
  if (typeof value === 'string' && value !== '') return value;
  throw new RecordError(`key ${field} must be a non-empty string, got ${brief(value)}`);
}

/** An integer key property: a coerced or rounded one would merge distinct records in the destination. */
export function keyInt(value: unknown, field: string): number {
  const parsed = int(value);
  if (parsed !== null) return parsed;
  throw new RecordError(`key ${field} must be ${EXACT_INTEGER}, got ${brief(value)}`);
}

/** A replication cursor: absent means none (a never-updated stack); present, it must be exact. */
export function cursorInt(value: unknown, field: string): number | null {
  if (value === undefined || value === null) return null;
  const parsed = int(value);
  if (parsed !== null) return parsed;
  throw new RecordError(`cursor ${field} must be ${EXACT_INTEGER}, got ${brief(value)}`);
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
    for (const [key, inner] of Object.entries(object)) setOwn(out, camelToSnake(key), snakeKeys(inner));
    return out;
  }
  return value === undefined ? null : (value as Json);
}

/** Turns one API value into a record value. */
export type Convert<T> = (raw: unknown) => T;
type Converters = Readonly<Record<string, Convert<unknown>>>;

/** An object with every declared property (by its snake_case name), plus whatever else the API sent. */
export type Shaped<F extends Converters> = { [K in keyof F]: ReturnType<F[K]> } & { [key: string]: unknown };

/**
 * A converter for an API object whose schema declares some properties: each declared one is present
 * (converted, or null when the API omits it); any other key the API sends is kept, snake_cased.
 * Declared properties come first, in declaration order. Anything but an object becomes null.
 */
export function objectOf<F extends Converters>(fields: F): Convert<Shaped<F> | null> {
  const names = Object.keys(fields);
  const declared = new Map<string, Convert<unknown>>(Object.entries(fields));
  return (raw) => {
    const object = asObject(raw);
    if (!object) return null;
    const out: Record<string, unknown> = {};
    for (const name of names) out[name] = null;
    for (const key in object) {
      const name = camelToSnake(key);
      const convert = declared.get(name);
      setOwn(out, name, convert ? convert(object[key]) : snakeKeys(object[key]));
    }
    return out as Shaped<F>;
  };
}

/** An array of objects converted one by one; items that are not objects are dropped; not an array → null. */
export function arrayOf<T>(convert: Convert<T | null>): Convert<T[] | null> {
  return (raw) => {
    if (!Array.isArray(raw)) return null;
    const out: T[] = [];
    for (const item of raw) {
      const converted = convert(item);
      if (converted !== null) out.push(converted);
    }
    return out;
  };
}

/** A map whose keys are data (config keys, environment variables): kept exactly as sent. */
export function dataMap<T>(value: unknown, convert: (inner: unknown) => T): Record<string, T> | null {
  const object = asObject(value);
  if (!object) return null;
  const out: Record<string, T> = {};
  for (const [key, inner] of Object.entries(object)) setOwn(out, key, convert(inner));
  return out;
}

/**
 * A data map whose values must all be of one kind: the parsed object itself when they already are
 * (the usual case, and no copy on the hot path), a converted copy otherwise.
 */
export function uniformMap<T>(value: unknown, isKind: (inner: unknown) => inner is T, convert: (inner: unknown) => T | null): Record<string, T | null> | null {
  const object = asObject(value);
  if (!object) return null;
  for (const key of Object.keys(object)) if (!isKind(object[key])) return dataMap(object, convert);
  return object as Record<string, T>;
}

/** A data object whose keys and values are all kept as sent (e.g. a policy pack's settings). */
export function dataObject(value: unknown): JsonObject | null {
  return asObject(value) as JsonObject | null;
}

export const isString = (v: unknown): v is string => typeof v === 'string';
export const isExactInteger = (v: unknown): v is number => Number.isSafeInteger(v);

/** The API's UserInfo, as members, update requesters and commit authors carry it. */
export const userInfo = objectOf({ name: str, github_login: str, avatar_url: str, email: str });

/** An API object's `links`. */
export const links = objectOf({ self: str });

/**
 * An API time as an RFC 3339 UTC string: the API mixes RFC 3339 and `YYYY-MM-DD HH:MM:SS[.fff]`
 * without a zone (read as UTC). Null when absent, unreadable, or the zero time (`0001-01-01...`)
 * that stands for "not yet".
 */
export function isoTime(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const ms = parseTimestamp(value);
  return ms === undefined || ms < Date.UTC(1970, 0, 1) ? null : new Date(ms).toISOString();
}

/** A time that is a replication cursor: absent means none; present, it must be a time. */
export function cursorTime(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  const time = isoTime(value);
  if (time !== null) return time;
  throw new RecordError(`cursor ${field} must be an RFC 3339 time, got ${brief(value)}`);
}

/** JSON with every object's keys in order: the same data gives the same text, whatever order it came in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const object = asObject(value);
  if (object) return `{${Object.keys(object).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`).join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** A list of strings; other items are dropped. */
export function strings(value: unknown): string[] | null {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : null;
}

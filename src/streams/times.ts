import { asObject, camelToSnake } from './fields.js';

/**
 * What an API item sent under a record's time field (`deletedAt` for `deleted_at`) when the record
 * holds null there: a value the tap could not read, or undefined when there is none. An empty
 * string and the zero time (year 1) are how the API says "not yet", not unreadable times.
 */
export function unreadableTime(item: unknown, field: string): string | undefined {
  const object = asObject(item);
  if (!object) return undefined;
  for (const [key, value] of Object.entries(object)) {
    if (camelToSnake(key) !== field) continue;
    return typeof value === 'string' && value !== '' && !value.startsWith('0001-01-01') ? value : undefined;
  }
  return undefined;
}

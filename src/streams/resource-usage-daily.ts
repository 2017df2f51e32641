import type { ResourceUsageDailyRecord } from '../generated/records.js';
import { parseTimestamp } from '../core/cursor.js';
import { defineStream, type Context } from '../core/stream.js';
import { RecordError } from '../errors.js';
import { orgPath, organizationContext } from './context.js';
import { asObject, int, keyInt, keyString } from './fields.js';

const DAY_MS = 86_400_000;
/** The API answers for the last year at most. */
export const MAX_LOOKBACK_DAYS = 365;

/**
 * The `lookbackDays` that reaches back to `start` (the bookmark less the look-back, RFC 3339), or a
 * whole year without one. The API counts 24-hour steps back from its own now, so the oldest day of
 * its window is partial: one day more is asked, and that partial day, older than `start`, is
 * skipped by the cursor; the day more also covers a server clock a little behind ours.
 */
export function lookbackDaysFor(start: string | number | undefined, nowMs: number): number {
  // The cursor is RFC 3339, so `start` is text; anything else reads the whole year.
  const startMs = typeof start === 'string' ? parseTimestamp(start) : undefined;
  if (startMs === undefined) return MAX_LOOKBACK_DAYS;
  const days = Math.ceil((nowMs - startMs) / DAY_MS) + 1;
  return Math.min(MAX_LOOKBACK_DAYS, Math.max(1, days));
}

/** 00:00 UTC of a calendar day, RFC 3339; a RecordError for a day that does not exist (a month 13, February 30). */
export function dayStart(year: number, month: number, day: number): string {
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    throw new RecordError(`year ${year}, month ${month}, day ${day} is not a calendar day`);
  }
  return date.toISOString();
}

/**
 * Resources under management per UTC day of each organization (GET
 * /api/orgs/ORG/resources/summary?granularity=daily&lookbackDays=N). Incremental on `date`, the
 * day's start: each run asks for the days since the bookmark less `usage_lookback_days` (a first run,
 * the whole last year), because recent days' figures change until the day is over; re-read days are
 * emitted again with the same key. The bookmark is the start of the newest day listed (today), and
 * bookmarks are inclusive, so today is always read again: no `isSettled` is needed for it. The
 * order of the days is not documented: every day of the answer is read.
 */
export const resourceUsageDaily = defineStream({
  name: 'resource_usage_daily',
  keyProperties: ['org_name', 'year', 'month', 'day'],
  rootContext: organizationContext,
  request: {
    endpoint: '/api/orgs/{org}/resources/summary',
    path: (c) => `${orgPath(c)}/resources/summary`,
    query: (_c, _config, start) => ({ granularity: 'daily', lookbackDays: lookbackDaysFor(start, Date.now()) }),
    paging: () => ({ kind: 'none' }),
    // 204 No Content where there is no usage to report.
    records: { key: 'summary', optional: true },
  },
  cursor: { field: 'date', type: 'rfc3339', order: 'unsorted', lookbackSeconds: (config) => config.usageLookbackDays * 86_400 },
  // Who may read usage is not documented (org admins and billing managers, presumably).
  statuses: { unavailable: [403] },
  toRecord(raw: unknown, context: Context): ResourceUsageDailyRecord {
    const p = asObject(raw) ?? {};
    const year = keyInt(p.year, 'year');
    const month = keyInt(p.month, 'month');
    const day = keyInt(p.day, 'day');
    return {
      org_name: keyString(context.org_name, 'org_name'),
      year,
      month,
      day,
      date: dayStart(year, month, day),
      resources: int(p.resources),
      resource_hours: int(p.resourceHours),
    };
  },
});

// Resources under management: GET /api/orgs/{org}/resources/summary?granularity=daily&lookbackDays=N,
// one point per UTC day of the window [now − N × 24 h, now]. As the service documents, the window
// counts 24-hour steps back from now, so its first day is partial, and so is today: resource-hours
// cover only the hours inside the window. Days lie on the real clock (the tap asks relative to it),
// and each day's figures are drawn from a stream of their own, so a day reads the same on every ask.
// 403 for the orgs of `orgsWithoutUsage`; 204 No Content (no body) for those of `orgsWithoutUsageData`.
import { Rng, type Org } from '../data.js';
import { positiveInt } from '../paging.js';
import { HttpError, knownOrg, ok, route, type Route } from '../routing.js';

export interface EmulatedUsagePoint {
  year: number;
  month: number;
  day: number;
  /** Average resources under management over the hours counted. */
  resources: number;
  /** Sum over the hours counted: resources × hours. */
  resourceHours: number;
}

export const USAGE_FORBIDDEN = 'Forbidden: the caller may not read usage';
export const USAGE_MAX_LOOKBACK_DAYS = 365;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** A day's figures: drawn from the org's seed and the day's number, whatever the window. */
function resourcesOn(org: Org, dayNumber: number): number {
  const base = 40 + Rng.of(org.seed, 'resource-usage').int(0, 400);
  return base + Rng.of(org.seed, 'resource-usage', dayNumber).int(-10, 10);
}

/** The points of a window of `lookbackDays` ending at `nowMs`, oldest first. */
export function usagePoints(org: Org, lookbackDays: number, nowMs: number): EmulatedUsagePoint[] {
  const startMs = nowMs - lookbackDays * DAY_MS;
  const points: EmulatedUsagePoint[] = [];
  for (let dayNumber = Math.floor(startMs / DAY_MS); dayNumber * DAY_MS <= nowMs; dayNumber++) {
    const from = Math.max(startMs, dayNumber * DAY_MS);
    const to = Math.min(nowMs, (dayNumber + 1) * DAY_MS);
    const hours = Math.floor((to - from) / HOUR_MS);
    const date = new Date(dayNumber * DAY_MS);
    const resources = resourcesOn(org, dayNumber);
    points.push({ year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), resources, resourceHours: resources * hours });
  }
  return points;
}

export const resourceUsageRoutes: Route[] = [
  route('GET', '/api/orgs/:org/resources/summary', (params, query, { model }) => {
    const org = knownOrg(model, params.org);
    if (model.options.orgsWithoutUsage.includes(org.name)) throw new HttpError(403, USAGE_FORBIDDEN);
    // The emulator serves the daily series only; the service also has hourly, weekly, monthly, yearly.
    if (query['granularity'] !== 'daily') throw new HttpError(400, "Invalid 'granularity' value.");
    if (query['lookbackStart'] !== undefined) throw new HttpError(400, 'lookbackStart is not emulated; use lookbackDays');
    const lookbackDays = positiveInt(query['lookbackDays'], 'lookbackDays');
    if (lookbackDays === undefined || lookbackDays > USAGE_MAX_LOOKBACK_DAYS) throw new HttpError(400, "Invalid 'lookbackDays' value.");
    if (model.options.orgsWithoutUsageData.includes(org.name)) return { status: 204 };
    return ok({ summary: usagePoints(org, lookbackDays, Date.now()) });
  }),
];

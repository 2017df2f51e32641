// Pure helpers for reading API responses.

export function shorten(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Pulumi's `{code, message}` error body when it is one, the raw text (shortened) otherwise. */
export function describeErrorBody(body: string): string {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object' && typeof (parsed as { message?: unknown }).message === 'string') {
      return shorten((parsed as { message: string }).message);
    }
  } catch {
    // not JSON: a proxy or firewall page
  }
  return shorten(body);
}

/** Retry-After as milliseconds: either delta-seconds or an HTTP date. */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  // An HTTP date has a weekday or month name; Date.parse alone would take '-1' for a date.
  if (!/[A-Za-z]{3}/.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

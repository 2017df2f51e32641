// Paging the emulated listings share: continuation tokens scoped per listing, and numbered pages
// (`page`/`pageSize`) with a cap on the page size.
import { HttpError, type Query } from './routing.js';

/** What a continuation token was issued for, so that a token from one listing is refused by another. */
export interface Listing {
  kind: string;
  scope: string;
}

// A token is base64url JSON of the listing and the offset of the next page.
interface TokenPayload {
  k: string;
  s: string;
  o: number;
}

function encodeToken(listing: Listing, offset: number): string {
  const payload: TokenPayload = { k: listing.kind, s: listing.scope, o: offset };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** The offset a token points at (0 without one); 400 for a token that is not this listing's. */
function decodeToken(token: string | undefined, listing: Listing, total: number): number {
  if (token === undefined || token === '') return 0;
  const invalid = new HttpError(400, 'Invalid continuation token');
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw invalid;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalid;
  const p = parsed as Partial<TokenPayload>;
  if (p.k !== listing.kind || p.s !== listing.scope || typeof p.o !== 'number' || !Number.isInteger(p.o) || p.o < 0 || p.o > total) throw invalid;
  return p.o;
}

/**
 * Up to `pageSize` of `items` from where `token` points, and the next page's token while items remain.
 * A newest-first listing that grows at its front counts from its `end` instead: the token then holds
 * how many items remain, so an item added between two pages neither repeats nor hides another.
 */
export function tokenPage<T>(
  items: readonly T[],
  token: string | undefined,
  listing: Listing,
  pageSize: number,
  countFrom: 'start' | 'end' = 'start',
): { items: T[]; continuationToken: string | undefined } {
  const total = items.length;
  const position = decodeToken(token, listing, total);
  const offset = countFrom === 'start' || token === undefined || token === '' ? position : total - position;
  const page = items.slice(offset, offset + pageSize);
  const end = offset + page.length;
  if (end >= total) return { items: page, continuationToken: undefined };
  return { items: page, continuationToken: encodeToken(listing, countFrom === 'start' ? end : total - end) };
}

/** `body` with `continuationToken` last, or without the key at all on the last page (as the service). */
export function withContinuation<B extends object>(body: B, continuationToken: string | undefined): B & { continuationToken?: string } {
  return continuationToken === undefined ? body : { ...body, continuationToken };
}

/** A query parameter that must be a positive integer when present; 400 otherwise. */
export function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw new HttpError(400, `Invalid '${name}' value.`);
  return Number(value);
}

/** A query parameter that must be an integer >= 0 when present (a Unix time, a revision number); 400 otherwise. */
export function nonNegativeInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,12}$/.test(value)) throw new HttpError(400, `Invalid '${name}' value.`);
  return Number(value);
}

/** A query parameter that must be `true` or `false` when present; 400 otherwise. */
export function booleanParam(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw new HttpError(400, `Invalid '${name}' value.`);
  return value === 'true';
}

/**
 * The window that `page` (1-based) and `pageSize` ask for, the size capped at `maxSize`, or
 * undefined when the query has neither. Answers carry `itemsPerPage` (the capped size) and `total`.
 */
export function numberedPage(query: Query, sizes: { defaultSize: number; maxSize: number }): { offset: number; pageSize: number } | undefined {
  const page = positiveInt(query['page'], 'page');
  const requestedSize = positiveInt(query['pageSize'], 'pageSize');
  if (page === undefined && requestedSize === undefined) return undefined;
  const pageSize = Math.min(requestedSize ?? sizes.defaultSize, sizes.maxSize);
  return { offset: ((page ?? 1) - 1) * pageSize, pageSize };
}

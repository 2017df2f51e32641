// Paging over an HTTP API, as data: a style names its parameters and fields, and a Pager decides
// each next request from the page just read. A page ends the listing only when the server says so
// (an empty page, the count reaching its total, no continuation token); a page that is not shaped
// like one is malformed, never an end; and a listing that cannot end (tokens or totals that never
// settle) is stopped with an error instead of read forever.
import { PagingError } from '../errors.js';
import type { Query } from '../io/http/client.js';

/** Where a continuation token is read (`tokenField`) and sent back (`tokenParam`); any style follows one when a response offers it. */
interface TokenNames {
  tokenField?: string;
  tokenParam?: string;
}

export type PagingStyle =
  /** A continuation token in the response, sent back as a query parameter. */
  | ({ kind: 'cursor'; pageSizeParam?: string; pageSize?: number } & TokenNames)
  /** 1-based page numbers with a page size; the response's total and items-per-page say where the end is. */
  | ({ kind: 'page-number'; pageSize: number; pageParam?: string; pageSizeParam?: string; totalField?: string; itemsPerPageField?: string } & TokenNames)
  /** One request holds everything (a bare list, or one document). */
  | { kind: 'none' }
  /**
   * The response names the next page's URL (at a dotted field path such as `pagination.next`); no
   * URL, or an empty one, is the end. The URL is followed on the API's own origin only.
   */
  | { kind: 'next-url'; nextField: string; pageSizeParam?: string; pageSize?: number; totalField?: string }
  /**
   * Keyset: each next page asks for the items past the last one read (`param` = its `keyField`),
   * `count` at a time, until an empty page (a short page is not trusted as the last: the server may
   * cap `count`).
   */
  | { kind: 'keyset'; param: string; keyField: string; countParam: string; count: number };

/** The records of a page: under this key of the body, or the body itself when it is '' (a bare list, or one document). */
export const WHOLE_BODY = '';

/**
 * Where a page's records are: a key of the body (or WHOLE_BODY), or a key with how to read it.
 * `optional`: the API leaves the key out when there is nothing (a document's optional list), so
 * absent or null means no records rather than a malformed page; so does no body at all (204). `entries`: the key holds a map,
 * whose entries become records `{ [keyField]: key, [valueField]: value }`.
 */
export type RecordsAt = string | { readonly key: string; readonly optional?: boolean; readonly entries?: { readonly keyField: string; readonly valueField: string } };

interface RecordsLocation {
  key: string;
  optional: boolean;
  entries: { keyField: string; valueField: string } | undefined;
}

function locate(at: RecordsAt): RecordsLocation {
  return typeof at === 'string' ? { key: at, optional: false, entries: undefined } : { key: at.key, optional: at.optional ?? false, entries: at.entries };
}

/** A map's entries as records, keeping every key whatever its name (`__proto__` included). */
function entriesOf(map: Record<string, unknown>, names: { keyField: string; valueField: string }): unknown[] {
  return Object.entries(map).map(([key, value]) => Object.fromEntries([[names.keyField, key], [names.valueField, value]]));
}

/** Where the next page is: a query of the listing's own path, or a URL the API gave. */
export type NextPage = { query: Query } | { url: string };

/** A value at a dotted path (`pagination.next`) of a JSON body. */
function valueAt(body: unknown, path: string): unknown {
  let value = body;
  for (const part of path.split('.')) value = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[part] : undefined;
  return value;
}

const DEFAULT_TOKEN = 'continuationToken';
const DEFAULTS = { pageParam: 'page', pageSizeParam: 'pageSize', totalField: 'total', itemsPerPageField: 'itemsPerPage' };

/** A count field: absent (undefined or null) or a non-negative safe integer; anything else is malformed. */
function countField(body: Record<string, unknown>, field: string | undefined): number | undefined | 'malformed' {
  if (field === undefined) return undefined;
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 'malformed';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)?.slice(0, 40) ?? ''}`.trim();
}

export class Pager {
  private readonly tokensSeen = new Set<string>();
  /** The page just requested, and its size (the server may impose a smaller one). */
  private page = 1;
  private pageSize: number | undefined;
  private itemsRead = 0;
  private firstTotal: number | undefined;
  /** First and last item of the previous page: a server that ignores the page number sends them again. */
  private previousEnds: string | undefined;

  private readonly records: RecordsLocation;

  constructor(
    private readonly style: PagingStyle,
    recordsAt: RecordsAt,
    /** Names the listing in errors. */
    private readonly where: string,
  ) {
    this.records = locate(recordsAt);
    this.pageSize = style.kind === 'cursor' || style.kind === 'page-number' || style.kind === 'next-url' ? style.pageSize : undefined;
  }

  firstQuery(): Query {
    const style = this.style;
    if (style.kind === 'page-number') return { [style.pageParam ?? DEFAULTS.pageParam]: 1, [style.pageSizeParam ?? DEFAULTS.pageSizeParam]: style.pageSize };
    if (style.kind === 'keyset') return { [style.countParam]: style.count };
    if (style.kind === 'none') return {};
    return style.pageSizeParam && style.pageSize ? { [style.pageSizeParam]: style.pageSize } : {};
  }

  /** Why a response is not a page of this listing, or undefined when it is one. Malformed pages are retried. */
  readonly malformation = (body: unknown): string | undefined => {
    const { key, optional, entries } = this.records;
    if (body === null && optional) return undefined;
    if (key === WHOLE_BODY) {
      return typeof body === 'object' && body !== null ? undefined : `expected a JSON list or object, got ${describe(body)}`;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return `expected a JSON object, got ${describe(body)}`;
    const record = body as Record<string, unknown>;
    const items = record[key];
    const absent = items === undefined || items === null;
    if (absent && optional) return undefined;
    if (entries) {
      if (absent || typeof items !== 'object' || Array.isArray(items)) return items === undefined ? `'${key}' is missing` : `'${key}' is ${describe(items)}, expected an object`;
    } else if (!Array.isArray(items)) return items === undefined ? `'${key}' is missing` : `'${key}' is ${describe(items)}, expected an array`;
    const style = this.style;
    if (style.kind === 'page-number') {
      for (const field of [style.totalField ?? DEFAULTS.totalField, style.itemsPerPageField ?? DEFAULTS.itemsPerPageField]) {
        if (countField(record, field) === 'malformed') return `'${field}' is ${describe(record[field])}, expected a count`;
      }
    }
    if (style.kind === 'next-url') {
      const next = valueAt(record, style.nextField);
      if (next !== undefined && next !== null && typeof next !== 'string') return `'${style.nextField}' is ${describe(next)}, expected a URL`;
    }
    if (style.kind === 'cursor' || style.kind === 'page-number') {
      const token = record[style.tokenField ?? DEFAULT_TOKEN];
      if (token !== undefined && token !== null && typeof token !== 'string') return `'${style.tokenField ?? DEFAULT_TOKEN}' is ${describe(token)}, expected a string`;
    }
    return undefined;
  };

  /** The listing's total as a response states it, if its style names one. */
  total(body: unknown): number | undefined {
    const style = this.style;
    const field = style.kind === 'page-number' ? (style.totalField ?? DEFAULTS.totalField) : style.kind === 'next-url' ? style.totalField : undefined;
    if (field === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
    const total = countField(body as Record<string, unknown>, field);
    return typeof total === 'number' ? total : undefined;
  }

  itemsOf(body: unknown): unknown[] {
    const { key, entries } = this.records;
    if (typeof body !== 'object' || body === null) return [];
    if (key === WHOLE_BODY) return Array.isArray(body) ? body : [body];
    const items = (body as Record<string, unknown>)[key];
    if (entries) return typeof items === 'object' && items !== null && !Array.isArray(items) ? entriesOf(items as Record<string, unknown>, entries) : [];
    return Array.isArray(items) ? items : [];
  }

  /** Decides where the next page is from a (well-formed) page just read; undefined at the end. */
  next(body: unknown): NextPage | undefined {
    const items = this.itemsOf(body);
    const style = this.style;
    // No body (204) is the end of any listing.
    if (style.kind === 'none' || typeof body !== 'object' || body === null) return undefined;
    if (style.kind === 'next-url') return this.nextUrl(body, style);
    const query = style.kind === 'keyset' ? this.nextKey(items, style) : this.nextQuery(body as Record<string, unknown>, items, style);
    return query && { query };
  }

  private nextQuery(record: Record<string, unknown>, items: unknown[], style: Extract<PagingStyle, { kind: 'cursor' | 'page-number' }>): Query | undefined {
    const token = record[style.tokenField ?? DEFAULT_TOKEN];
    // A token is followed whichever style the stream declares (the seed design pages everything by token).
    if (typeof token === 'string' && token !== '') return this.followToken(token, style);
    if (style.kind === 'cursor') return undefined;
    return this.nextPageNumber(record, items, style);
  }

  private nextUrl(body: unknown, style: Extract<PagingStyle, { kind: 'next-url' }>): NextPage | undefined {
    const next = valueAt(body, style.nextField);
    if (typeof next !== 'string' || next === '') return undefined;
    if (this.tokensSeen.has(next)) throw new PagingError(`${this.where}: the API named a next page it had already named; stopping to avoid reading the same pages forever`);
    this.tokensSeen.add(next);
    return { url: next };
  }

  private nextKey(items: unknown[], style: Extract<PagingStyle, { kind: 'keyset' }>): Query | undefined {
    if (items.length === 0) return undefined;
    const last = items.at(-1);
    const key = typeof last === 'object' && last !== null ? (last as Record<string, unknown>)[style.keyField] : undefined;
    if (typeof key !== 'string' && typeof key !== 'number') throw new PagingError(`${this.where}: the last item has no '${style.keyField}' to ask for the next page with`);
    const token = String(key);
    if (this.tokensSeen.has(token)) throw new PagingError(`${this.where}: two pages ended with the same '${style.keyField}' (${token}); stopping to avoid reading the same pages forever`);
    this.tokensSeen.add(token);
    return { [style.countParam]: style.count, [style.param]: key };
  }

  private followToken(token: string, style: Extract<PagingStyle, { kind: 'cursor' | 'page-number' }>): Query {
    if (this.tokensSeen.has(token)) {
      throw new PagingError(`${this.where}: the API sent a continuation token it had already sent; stopping to avoid reading the same pages forever`);
    }
    this.tokensSeen.add(token);
    const query = this.firstQuery();
    if (style.kind === 'page-number') delete query[style.pageParam ?? DEFAULTS.pageParam];
    return { ...query, [style.tokenParam ?? DEFAULT_TOKEN]: token };
  }

  private nextPageNumber(body: Record<string, unknown>, items: unknown[], style: Extract<PagingStyle, { kind: 'page-number' }>): Query | undefined {
    const total = countField(body, style.totalField ?? DEFAULTS.totalField);
    const perPage = countField(body, style.itemsPerPageField ?? DEFAULTS.itemsPerPageField);
    const knownTotal = typeof total === 'number' ? total : undefined;
    const announcedPerPage = typeof perPage === 'number' && perPage > 0 ? perPage : undefined;
    const requested = this.pageSize ?? style.pageSize;
    const count = items.length;

    if (knownTotal !== undefined && count > 0 && this.itemsRead >= knownTotal) {
      throw new PagingError(`${this.where}: page ${this.page} is past the total of ${knownTotal} items yet holds items; stopping to avoid reading forever`);
    }
    this.checkNotRepeated(items);
    this.itemsRead += count;
    this.firstTotal ??= knownTotal;
    this.checkTotalSettled(knownTotal, requested);

    if (count === 0) return undefined;
    if (knownTotal !== undefined && this.itemsRead >= knownTotal) return undefined;
    // Without a total, a page shorter than the server's own page size is the last.
    if (knownTotal === undefined && count < (announcedPerPage ?? requested)) return undefined;

    if (count !== requested) {
      // The server used another page size than asked (a cap): ask for its size from now on, so that
      // page numbers mean the same offsets to both sides.
      const size = announcedPerPage ?? count;
      if (this.itemsRead % size !== 0) {
        throw new PagingError(`${this.where}: the server changed its page size mid-listing (${requested} asked, ${count} sent after ${this.itemsRead - count} items); stopping rather than guess which items were skipped`);
      }
      this.pageSize = size;
      this.page = this.itemsRead / size;
    }
    this.page++;
    return { [style.pageParam ?? DEFAULTS.pageParam]: this.page, [style.pageSizeParam ?? DEFAULTS.pageSizeParam]: this.pageSize ?? style.pageSize };
  }

  private checkNotRepeated(items: unknown[]): void {
    // A page shifted by new items differs at its end; a repeated page does not. Single-item pages are
    // left to the engine, which notices records it has already read.
    if (items.length < 2) return;
    let ends: string;
    try {
      ends = JSON.stringify(items[0]) + JSON.stringify(items.at(-1));
    } catch {
      // An item that cannot be serialised (nested too deeply) fails as a record, with its own message.
      return;
    }
    if (this.page > 1 && ends === this.previousEnds) {
      throw new PagingError(`${this.where}: page ${this.page} repeats page ${this.page - 1} (the server ignores the page number); stopping to avoid reading forever`);
    }
    this.previousEnds = ends;
  }

  /** A total may grow a little while a listing is read (new items), but not without bound. */
  private checkTotalSettled(total: number | undefined, pageSize: number): void {
    const first = this.firstTotal;
    if (first === undefined) return;
    const allowed = first + Math.max(pageSize, Math.ceil(first / 10));
    if (total !== undefined && total > allowed) {
      throw new PagingError(`${this.where}: the total grew from ${first} to ${total} while paging; stopping to avoid reading forever`);
    }
    if (this.itemsRead > allowed) {
      throw new PagingError(`${this.where}: ${this.itemsRead} items read where the first page announced ${first}; stopping to avoid reading forever`);
    }
  }
}

export type FetchPage = (next: NextPage, malformation: (body: unknown) => string | undefined) => Promise<unknown>;

/** Yields the items of each page in order; stop early by breaking out of the loop. */
export async function* paginate(
  fetchPage: FetchPage,
  recordsAt: RecordsAt,
  style: PagingStyle,
  where: string,
  onPage?: (body: unknown, page: number) => void,
): AsyncGenerator<unknown[]> {
  const pager = new Pager(style, recordsAt, where);
  let next: NextPage | undefined = { query: pager.firstQuery() };
  let page = 0;
  while (next) {
    const body = await fetchPage(next, pager.malformation);
    // The fetch retried and then failed on a malformed answer; this is a last guard for fakes in tests.
    const problem = pager.malformation(body);
    if (problem !== undefined) throw new PagingError(`${where}: malformed response: ${problem}`);
    onPage?.(body, ++page);
    next = pager.next(body);
    yield pager.itemsOf(body);
  }
}

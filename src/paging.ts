// Paging over the Pulumi API. A response may offer a continuationToken (stacks, members, and any
// endpoint in the seed design) or page numbers with a total (stack updates); the pager follows
// whichever is offered and refuses to loop.
import { PagingError } from './errors.js';
import type { Query } from './http/client.js';

export type PagingStyle =
  /** `continuationToken` in the response, sent back as a query parameter. */
  | { kind: 'cursor'; pageSizeParam?: string; pageSize?: number }
  /** 1-based `page` and `pageSize`, ending on a short page or at `total`; a token is followed if one is sent. */
  | { kind: 'page-number'; pageSize: number };

interface PagerState {
  readonly style: PagingStyle;
  readonly seenTokens: Set<string>;
  page: number;
  /** The first item of the previous page: a server that ignores `page` sends it again. */
  previousFirst?: string;
}

export function firstPageQuery(style: PagingStyle): Query {
  if (style.kind === 'page-number') return { page: 1, pageSize: style.pageSize };
  return style.pageSizeParam && style.pageSize ? { [style.pageSizeParam]: style.pageSize } : {};
}

function continuationToken(body: Record<string, unknown>): string | undefined {
  const token = body.continuationToken;
  return typeof token === 'string' && token !== '' ? token : undefined;
}

/**
 * Decides the query of the next page from the one just read, or undefined at the end.
 * `where` names the request in errors.
 */
export function nextPageQuery(state: PagerState, body: Record<string, unknown>, itemCount: number, where: string): Query | undefined {
  const token = continuationToken(body);
  if (token !== undefined) {
    if (state.seenTokens.has(token)) {
      throw new PagingError(`${where}: the API sent a continuation token it had already sent; stopping to avoid reading the same pages forever`);
    }
    state.seenTokens.add(token);
    const query = firstPageQuery(state.style);
    delete query.page;
    return { ...query, continuationToken: token };
  }
  if (state.style.kind === 'cursor') return undefined;
  const { pageSize } = state.style;
  const total = typeof body.total === 'number' ? body.total : undefined;
  if (itemCount < pageSize || itemCount === 0) return undefined;
  if (total !== undefined && state.page * pageSize >= total) return undefined;
  state.page++;
  if (total === undefined && state.page > 1_000_000) {
    throw new PagingError(`${where}: more than a million pages without an end; stopping`);
  }
  return { page: state.page, pageSize };
}

function checkPageNumberProgress(state: PagerState, pageSize: number, total: unknown, items: unknown[], where: string): void {
  if (typeof total === 'number' && items.length > 0 && (state.page - 1) * pageSize >= total) {
    throw new PagingError(`${where}: page ${state.page} is past the total of ${total} items yet holds items; stopping to avoid reading forever`);
  }
  // A page shifted by new items differs at its end; a repeated page does not. One item proves nothing.
  if (items.length < 2) return;
  const first = JSON.stringify(items[0]) + JSON.stringify(items.at(-1));
  if (state.page > 1 && first === state.previousFirst) {
    throw new PagingError(`${where}: page ${state.page} repeats page ${state.page - 1} (the server ignores the page number); stopping to avoid reading forever`);
  }
  state.previousFirst = first;
}

export type FetchPage = (query: Query) => Promise<unknown>;

/** Yields the items of each page in order; stop early by breaking out of the loop. */
export async function* paginate(
  fetchPage: FetchPage,
  itemsKey: string,
  style: PagingStyle,
  where: string,
  onPage?: (body: Record<string, unknown>, page: number) => void,
): AsyncGenerator<unknown[]> {
  const state: PagerState = { style, seenTokens: new Set(), page: 1 };
  let query: Query | undefined = firstPageQuery(style);
  while (query) {
    const body = await fetchPage(query);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new PagingError(`${where}: expected a JSON object, got ${Array.isArray(body) ? 'an array' : typeof body}`);
    }
    const record = body as Record<string, unknown>;
    const items = record[itemsKey] ?? [];
    if (!Array.isArray(items)) throw new PagingError(`${where}: '${itemsKey}' in the response is not an array`);
    if (style.kind === 'page-number') checkPageNumberProgress(state, style.pageSize, record.total, items, where);
    onPage?.(record, state.page);
    query = nextPageQuery(state, record, items.length, where);
    yield items as unknown[];
  }
}

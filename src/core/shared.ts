// Sibling streams that read the same document (one detail document feeding several streams, each
// reading its own list of it): within one parent record, the first sibling's request serves the others, so that no URL is asked for twice in a run. A response is held only until every
// sibling that shares its endpoint has taken it.

/** Responses shared by the sibling partitions of one parent record. */
export class SharedResponses {
  private readonly pending = new Map<string, { body: Promise<unknown>; taken: number }>();

  /** `sharers`: for each endpoint, how many sibling streams request it (fewer than two: nothing is shared). */
  constructor(private readonly sharers: ReadonlyMap<string, number>) {}

  /** Whether requests of this endpoint are shared. */
  shares(endpoint: string): boolean {
    return (this.sharers.get(endpoint) ?? 0) >= 2;
  }

  /** The response to the request named `key` (its path and query) of `endpoint`: fetched by the first sibling that asks. */
  get(endpoint: string, key: string, fetch: () => Promise<unknown>): Promise<unknown> {
    const sharers = this.sharers.get(endpoint) ?? 0;
    if (sharers < 2) return fetch();
    const id = `${endpoint}\u0000${key}`;
    let entry = this.pending.get(id);
    if (!entry) {
      entry = { body: fetch(), taken: 0 };
      this.pending.set(id, entry);
    }
    entry.taken++;
    if (entry.taken >= sharers) this.pending.delete(id);
    return entry.body;
  }

  /** Responses still held (for tests: a shared body is not kept after its last sibling). */
  get held(): number {
    return this.pending.size;
  }
}

/** How many of the given request endpoints each endpoint has: the sharers of a set of sibling streams. */
export function countSharers(endpoints: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const endpoint of endpoints) counts.set(endpoint, (counts.get(endpoint) ?? 0) + 1);
  return counts;
}

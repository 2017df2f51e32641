// The protocol-neutral sync engine. It reads every selected stream (and the streams they hang off)
// partition by partition: each organization for a root stream, each parent record for a child, at
// any depth. It knows no stream: requests, paging, keys, cursors and status handling come from the
// definitions. Events come out in an order that is safe to write as is: a checkpoint never covers a
// record that has not been yielded before it.
import { setMaxListeners } from 'node:events';
import type { TapConfig } from '../config/config.js';
import { ApiError, InterruptedError, messageOf, PagingError, RecordError } from '../errors.js';
import type { Query } from '../io/http/client.js';
import { Pager, paginate, type NextPage } from './paging.js';
import type { JsonSchema } from '../streams/schemas.js';
import { contextKey, type PartitionState, type StateStore } from './state.js';
import { CLOCK_MARGIN_SECONDS, codecFor, parentShowsNothingNew, PartitionCursor, type Bookmark, type CursorPolicy, type ReadWindow } from './cursor.js';
import type { StreamStatus, SyncEvent } from './events.js';
import { Limiter, mergeBounded } from './merge.js';
import { countSharers, SharedResponses } from './shared.js';
import { withinContext, type Context, type Converted, type Stream } from './stream.js';

/** One page to request: `stream` is the configured stream it serves; `signal` aborts it when the sync stops. */
export interface PageRequest {
  path: string;
  query: Query;
  stream: string;
  endpoint: string;
  signal: AbortSignal;
  /** Why a response is not a page of this listing (then it is retried), or undefined. */
  malformation: (body: unknown) => string | undefined;
  /** A next page the API named by URL: asked for instead of `path` and `query`. */
  url?: string;
}

export type Fetch = (request: PageRequest) => Promise<unknown>;

/** Where an organization's features are read: flags that say which plan-gated endpoints answer it. */
export interface FeatureSource {
  readonly endpoint: string;
  path(organization: string): string;
  /** The flags a response holds, or undefined when it holds none. */
  flags(body: unknown): Readonly<Record<string, unknown>> | undefined;
}

/** A stream to sync, as the configured catalog says. */
export interface SelectedStream {
  name: string;
  syncMode: 'full_refresh' | 'incremental';
  /** Top-level properties the catalog deselected. */
  excludedProperties: ReadonlySet<string>;
}

/** Stream schemas and record validators, by stream name. */
export interface Schemas {
  schema(stream: string): JsonSchema;
  validator(stream: string): { (record: unknown): boolean; errors?: { instancePath: string; message?: string }[] | null };
}

export interface SyncOptions {
  config: TapConfig;
  /** Every stream the tap has, parents before their children. */
  streams: readonly Stream[];
  selection: readonly SelectedStream[];
  state: StateStore;
  fetch: Fetch;
  schemas: Schemas;
  /** Minimum time between two checkpoints while partitions complete. */
  checkpointIntervalMs?: number;
  now?: () => number;
  /** Aborted on SIGTERM: no new request starts, and the run ends with a consistent state. */
  signal?: AbortSignal;
  /** Singer `--test`: at most this many records per stream, and reading stops once each has them. */
  recordLimit?: number;
  /** Read once per organization when a stream to sync `requires` a feature. */
  features?: FeatureSource;
  /** What an item sent for a date-time field its record holds as null, if it is a time that could not be read. */
  unreadableTime?: (item: unknown, field: string) => string | undefined;
}

type RecordEvent = Extract<SyncEvent, { kind: 'record' }>;

/**
 * What sources hand to `deliver`: sync events, and marks where a checkpoint may be written. Whether
 * one is, and which streams it covers, is decided in output order, where the records are counted.
 */
type EngineEvent = SyncEvent | { kind: 'checkpoint'; final?: string };

export interface SyncSummary {
  records: Map<string, number>;
  failedStreams: Set<string>;
  skippedPartitions: number;
  /** Why the run stopped before its end, if it did. */
  interruption?: InterruptedError;
  /** Parent records with child streams to read, and those whose children are done: for a progress line. */
  parentsListed: number;
  parentsDone: number;
}

/** A page of items all read before, twice in a row, means the server is going round in circles. */
const STALE_PAGES_LIMIT = 2;
/** Empty pages that still name a next page happen (a server-side filter); this many in a row do not end. */
const EMPTY_PAGES_LIMIT = 100;

/** Keys read so far in one partition: a record is emitted once, and a listing that only repeats itself is stopped. */
class PartitionReading {
  private keys = new Set<string>();
  private previousKeys: ReadonlySet<string> = new Set();
  private stalePages = 0;
  private emptyPages = 0;

  constructor(private readonly where: string) {}

  /**
   * A new listing of the same partition (its next window): its own run of pages. Windows overlap at
   * their edges only, so only the previous window's keys are kept to catch repeats: memory stays
   * bounded by two windows however long the read.
   */
  nextListing(): void {
    this.stalePages = 0;
    this.emptyPages = 0;
    this.previousKeys = this.keys;
    this.keys = new Set();
  }

  isNew(key: string): boolean {
    if (this.keys.has(key) || this.previousKeys.has(key)) return false;
    this.keys.add(key);
    return true;
  }

  pageRead(items: number, newRecords: number): void {
    this.emptyPages = items === 0 ? this.emptyPages + 1 : 0;
    this.stalePages = items > 0 && newRecords === 0 ? this.stalePages + 1 : 0;
    if (this.stalePages >= STALE_PAGES_LIMIT) {
      throw new PagingError(`${this.where}: ${STALE_PAGES_LIMIT} pages in a row held only items already read; stopping to avoid reading the same items forever`);
    }
    if (this.emptyPages >= EMPTY_PAGES_LIMIT) {
      throw new PagingError(`${this.where}: ${EMPTY_PAGES_LIMIT} empty pages in a row, each naming a next one; stopping to avoid reading forever`);
    }
  }
}

/** One record of a page, with what the cursor made of it. */
interface PageRecord {
  converted: Converted;
  emit: boolean;
}

/** One page of a partition, as far as it could be turned into records. */
interface PageRead {
  records: PageRecord[];
  /** Warnings about the page's records, to go out with them. */
  warnings: string[];
  /** Why the rest of the page could not be read (a record that cannot be emitted exactly). */
  failure?: Error;
}

/** How a partition's reading ended. */
interface Ending {
  /** Every page was read: the listing is whole (children no longer listed may be pruned). */
  exhausted: boolean;
  /** Reading stopped at the bookmark (newest first): nothing newer is left, but older records were not listed. */
  reachedBookmark: boolean;
}

/** One partition to read. */
interface Partition {
  stream: Stream;
  /** The organization it belongs to. */
  organization: string;
  context: Context;
  /** Names the partition in messages. */
  where: string;
  /** The parent record this partition hangs off. */
  parent?: Converted;
  /** The responses its sibling partitions (of the same parent record) share. */
  siblings?: { responses: SharedResponses };
}

export class SyncEngine {
  readonly summary: SyncSummary = { records: new Map(), failedStreams: new Set(), skippedPartitions: 0, parentsListed: 0, parentsDone: 0 };
  private readonly estimates = new Map<string, number>();
  private readonly estimatesChanged = new Set<string>();
  private lastEstimate = 0;
  private readonly selected: Map<string, SelectedStream>;
  /** Selected streams and every stream they hang off. */
  private readonly needed: Set<Stream>;
  private readonly running = new Set<string>();
  private readonly invalidReported = new Set<string>();
  private readonly futureReported = new Set<string>();
  private readonly disorderReported = new Set<string>();
  /** Streams with a time the tap could not read, already said. */
  private readonly timeReported = new Set<string>();
  /** Each stream's top-level date-time properties, from its schema. */
  private readonly timeFieldsOf = new Map<Stream, string[]>();
  /** Streams and organizations whose features turned the stream off, already said. */
  private readonly gateReported = new Set<string>();
  /** Each organization's features document, once asked for. */
  private readonly featureDocuments = new Map<string, Promise<unknown>>();
  /** Streams whose bookmarks changed since their last STATE. */
  private readonly dirty = new Set<string>();
  /** Streams that have had at least one STATE. */
  private readonly checkpointed = new Set<string>();
  /** Streams with records written after their last STATE. */
  private readonly recordsSinceState = new Set<string>();
  private lastCheckpoint = 0;
  /** Record bytes delivered since the last checkpoint: a state is written only when the data it covers outweighs it. */
  private recordBytesSinceCheckpoint = 0;
  private readonly now: () => number;
  private readonly checkpointIntervalMs: number;
  /** Aborts in-flight requests when the run must stop (a signal, or a rejected token). */
  private readonly stop = new AbortController();
  /** At most max_concurrency requests in flight, across organizations and streams. */
  private readonly requests: Limiter;
  /**
   * Parent records read at once with their children, per parent stream, across organizations: each
   * holds a page until it is written, so their sum is bounded by max_concurrency however many
   * organizations run side by side (each one's share grows when another finishes). One budget per
   * parent stream, as a parent's record waits on its children's, never the other way.
   */
  private readonly childPlacesByStream = new Map<Stream, Limiter>();

  constructor(private readonly options: SyncOptions) {
    this.selected = new Map(options.selection.map((s) => [s.name, s]));
    this.needed = new Set(options.streams.filter((stream) => this.selected.has(stream.name)).flatMap((stream) => ancestry(stream)));
    this.now = options.now ?? Date.now;
    this.checkpointIntervalMs = options.checkpointIntervalMs ?? 5000;
    this.requests = new Limiter(options.config.maxConcurrency);
    // Every request in flight and every waiting one listens for the stop: many, by design.
    setMaxListeners(0, this.stop.signal);
    const signal = options.signal;
    if (signal) {
      const onAbort = () => this.interrupt(new InterruptedError(`the sync was interrupted (${String(signal.reason ?? 'aborted')}) before it finished; the next sync resumes from the last state`));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  }

  /**
   * Checks every bookmark of the streams to sync before anything is read (a bad one is a config
   * error, in one line), and sets those in the future back to now less the clock margin (what was
   * read before them is unknown, so the engine errs towards reading again), once per stream.
   */
  prepareBookmarks(): string[] {
    const warnings: string[] = [];
    const nowSeconds = Math.floor(this.now() / 1000);
    for (const stream of this.options.streams) {
      if (!this.isIncremental(stream) || !stream.cursor) continue;
      const codec = codecFor(stream.cursor.type);
      const limit = codec.fromUnixSeconds(nowSeconds + CLOCK_MARGIN_SECONDS) ?? Number.POSITIVE_INFINITY;
      const back = codec.fromUnixSeconds(nowSeconds - CLOCK_MARGIN_SECONDS);
      let furthest: number | undefined;
      const count = this.options.state.mapBookmarks(stream.name, (value, where) => {
        const position = codec.fromState(value, where);
        if (position <= limit || back === undefined) return undefined;
        furthest = Math.max(furthest ?? position, position);
        return codec.toState(back);
      });
      if (count > 0) {
        const when = furthest !== undefined && furthest / codec.perSecond < 8.64e12 ? new Date((furthest / codec.perSecond) * 1000).toISOString() : String(furthest);
        warnings.push(`state: ${count} bookmark(s) of ${stream.name} are in the future (up to ${when}); read from ${CLOCK_MARGIN_SECONDS / 60} minutes ago instead`);
      }
    }
    return warnings;
  }

  private interrupt(reason: InterruptedError): void {
    this.summary.interruption ??= reason;
    this.stop.abort(reason);
  }

  private get stopped(): boolean {
    return this.stop.signal.aborted;
  }

  private childPlaces(stream: Stream): Limiter {
    let places = this.childPlacesByStream.get(stream);
    if (!places) this.childPlacesByStream.set(stream, (places = new Limiter(this.options.config.maxConcurrency)));
    return places;
  }

  /** The needed streams that hang off this one, in registry order (a parent read only for its children need not be registered). */
  private childrenOf(stream: Stream): Stream[] {
    return [...this.needed].filter((child) => child.parent === stream);
  }

  /** The stream and its needed descendants that were selected: what a failure of its partition makes incomplete. */
  private selectedWithin(stream: Stream): Stream[] {
    const inside = (s: Stream): boolean => s === stream || (s.parent !== undefined && inside(s.parent));
    return this.options.streams.filter((s) => this.selected.has(s.name) && this.needed.has(s) && inside(s));
  }

  /** The configured stream a request serves: a parent read only for its children reports as one of them. */
  private reportedAs(stream: Stream): string {
    return this.selectedWithin(stream)[0]?.name ?? stream.name;
  }

  private async fetch(partition: Partition, next: { query: Query } | { url: string }, malformation: (body: unknown) => string | undefined): Promise<unknown> {
    const siblings = partition.siblings;
    const { request } = partition.stream;
    const features = this.options.features;
    // The document the features come from is asked for once, whether a gate or a stream asks first
    // (the endpoint is compared first: no path is built for every other request).
    if (features && request.endpoint === features.endpoint && 'query' in next && Object.keys(next.query).length === 0 && request.path(partition.context) === features.path(partition.organization)) {
      const body = await this.featuresDocument(partition.organization, partition.stream);
      return malformation(body) === undefined ? body : this.fetchNow(partition, next, malformation);
    }
    if (!siblings?.responses.shares(request.endpoint)) return this.fetchNow(partition, next, malformation);
    const key = 'url' in next ? next.url : `${request.path(partition.context)}?${JSON.stringify(next.query)}`;
    let body: unknown;
    let askedHere = false;
    try {
      body = await siblings.responses.get(request.endpoint, key, () => {
        askedHere = true;
        return this.fetchNow(partition, next, malformation);
      });
    } catch (error) {
      // An answer another sibling took for malformed may be what this one reads: its own request.
      const malformed = error instanceof ApiError && error.status !== undefined && error.status >= 200 && error.status < 300;
      if (malformed && !askedHere) return this.fetchNow(partition, next, malformation);
      throw error;
    }
    // Well-formed for the sibling that asked, but not for this one: its own request, retried as any.
    return malformation(body) === undefined ? body : this.fetchNow(partition, next, malformation);
  }

  /** One request now, within the request limit; `target` when it is not the partition's own path (the features document). */
  private async fetchNow(
    partition: Partition,
    next: { query: Query } | { url: string },
    malformation: (body: unknown) => string | undefined,
    target: { path: string; endpoint: string } = { path: partition.stream.request.path(partition.context), endpoint: partition.stream.request.endpoint },
  ): Promise<unknown> {
    const release = await this.requests.acquire(this.stop.signal);
    try {
      return await this.options.fetch({
        path: target.path,
        ...('url' in next ? { query: {}, url: next.url } : { query: next.query }),
        stream: this.reportedAs(partition.stream),
        endpoint: target.endpoint,
        signal: this.stop.signal,
        malformation,
      });
    } finally {
      release();
    }
  }

  /** An organization's features document, fetched once (a failure is every asker's failure). */
  private featuresDocument(organization: string, askedFor: Stream): Promise<unknown> {
    let document = this.featureDocuments.get(organization);
    const features = this.options.features;
    if (!document && features) {
      const asking: Partition = { stream: askedFor, organization, context: {}, where: `${askedFor.name} (organization ${organization})` };
      const isObject = (body: unknown) => (typeof body === 'object' && body !== null && !Array.isArray(body) ? undefined : 'expected a JSON object');
      document = this.fetchNow(asking, { query: {} }, isObject, { path: features.path(organization), endpoint: features.endpoint });
      this.featureDocuments.set(organization, document);
    }
    return document ?? Promise.resolve(undefined);
  }

  /**
   * Whether a partition is skipped because its organization's features say its stream is off there,
   * and what to say (once per stream and organization). Features that cannot be read leave the
   * stream to its status policy, said once per organization.
   */
  private async gate(partition: Partition): Promise<{ skip: boolean; warning?: string }> {
    const { stream, organization } = partition;
    const flag = stream.requires;
    const features = this.options.features;
    if (flag === undefined || !features) return { skip: false };
    let flags: Readonly<Record<string, unknown>> | undefined;
    try {
      flags = features.flags(await this.featuresDocument(organization, stream));
    } catch (error) {
      const said = `\u0000${organization}`;
      if (this.stopped || this.gateReported.has(said)) return { skip: false };
      this.gateReported.add(said);
      return { skip: false, warning: `organization ${organization}: its features could not be read (${messageOf(error)}); its plan-gated streams are read anyway` };
    }
    if (flags?.[flag] !== false) return { skip: false };
    const said = `${stream.name}\u0000${organization}`;
    if (this.gateReported.has(said)) return { skip: true };
    this.gateReported.add(said);
    return { skip: true, warning: `${stream.name} (organization ${organization}): not enabled for this organization (its features say ${flag} is false); skipped without a request` };
  }

  /** Events in batches (a page of records at a time): one async hop per batch, not per record. */
  async *run(): AsyncGenerator<SyncEvent[]> {
    for await (const batch of this.runFamilies()) {
      let resumed = false;
      try {
        yield batch;
        resumed = true;
      } finally {
        // The consumer stopped early (stdout closed): abort requests before the close travels down.
        if (!resumed && !this.stopped) this.stop.abort(new InterruptedError('the reader stopped'));
      }
    }
  }

  /** Stream families (a root stream with its descendants) and organizations run side by side; the request limiter bounds them all. */
  private async *runFamilies(): AsyncGenerator<SyncEvent[]> {
    for (const s of this.options.selection) if (s.syncMode === 'full_refresh') this.options.state.clear(s.name);
    const families = [...this.needed].filter((stream) => !stream.parent).map((root) => this.runFamily(root));
    // Every batch leaves through deliver, in output order, whichever family it comes from.
    for await (const batch of mergeBounded(families, families.length)) yield this.deliver(batch);
  }

  private async *runFamily(root: Stream): AsyncGenerator<EngineEvent[]> {
    const family = this.selectedWithin(root);
    if (this.stopped) return;
    yield family.map((stream) => this.status(stream, 'STARTED'));
    const organizations = this.options.config.organizations.map((organization) =>
      this.readPartition({ stream: root, organization, context: root.rootContext(organization), where: `${root.name} (organization ${organization})` }),
    );
    // Each organization's partition runs up to max_concurrency of its own, each holding a page until
    // it is written: organizations side by side are bounded too, or memory would grow with them.
    yield* mergeBounded(organizations, Math.min(organizations.length, this.options.config.maxConcurrency));
    yield [...this.estimateEvents(true), { kind: 'checkpoint' }];
    for (const stream of family) {
      const interruption = this.summary.interruption;
      const ending: EngineEvent[] = [];
      if (interruption && !this.summary.failedStreams.has(stream.name)) ending.push(this.failure(stream, stream.name, interruption));
      ending.push({ kind: 'checkpoint', final: stream.name });
      ending.push(this.status(stream, this.summary.failedStreams.has(stream.name) ? 'INCOMPLETE' : 'COMPLETE'));
      yield ending;
    }
  }

  /** The STARTED status of every selected stream, whose schema a Singer `--test=schema` run prints. */
  schemaEvents(): SyncEvent[] {
    return this.options.streams.filter((stream) => this.selected.has(stream.name)).map((stream) => this.status(stream, 'STARTED'));
  }

  private full(stream: string): boolean {
    const limit = this.options.recordLimit;
    return limit !== undefined && (this.summary.records.get(stream) ?? 0) >= limit;
  }

  private status(stream: Stream, status: StreamStatus): SyncEvent {
    const schema = withoutProperties(this.options.schemas.schema(stream.name), this.selected.get(stream.name)?.excludedProperties);
    const replicationKey = this.isIncremental(stream) ? stream.cursor?.field : undefined;
    return { kind: 'status', stream: stream.name, status, schema, keyProperties: stream.keyProperties, ...(replicationKey ? { replicationKey } : {}) };
  }

  private isIncremental(stream: Stream): boolean {
    return this.selected.get(stream.name)?.syncMode === 'incremental' && stream.cursor !== undefined;
  }

  private bookmark(partition: Partition): Bookmark | undefined {
    const cursor = partition.stream.cursor;
    if (!cursor || !this.isIncremental(partition.stream)) return undefined;
    const codec = codecFor(cursor.type);
    const saved = this.options.state.get(partition.stream.name, partition.context);
    if (saved) {
      return {
        position: codec.fromState(saved.replication_key_value, `state of ${partition.where}`),
        fromState: true,
        unsettled: saved.unsettled === true,
        nullCursorKeys: new Set((saved.null_cursor_keys ?? []).map((key) => JSON.stringify(key))),
      };
    }
    const start = this.options.config.startDate === undefined ? undefined : codec.fromUnixSeconds(this.options.config.startDate);
    return start === undefined ? undefined : { position: start, fromState: false, unsettled: false, nullCursorKeys: new Set() };
  }

  /** The record serialised inside its partition (with deselected properties left out): a record that cannot be written fails only there. */
  private recordEvent(stream: Stream, record: Record<string, unknown>): RecordEvent {
    const excluded = this.selected.get(stream.name)?.excludedProperties;
    const kept = excluded && excluded.size > 0 ? Object.fromEntries(Object.entries(record).filter(([k]) => !excluded.has(k))) : record;
    let json: string;
    try {
      json = JSON.stringify(kept);
    } catch (error) {
      const why = error instanceof RangeError ? 'it is nested too deeply or too large' : messageOf(error);
      throw new RecordError(`a record cannot be written as JSON: ${why}`);
    }
    return { kind: 'record', stream: stream.name, record: kept, json };
  }

  /**
   * Reads one partition: its pages, its records, and (for each record) the partitions of its child
   * streams; then its bookmark. A failure ends this partition (and what hangs off it) only.
   */
  private async *readPartition(partition: Partition): AsyncGenerator<EngineEvent[]> {
    if (this.stopped) return;
    const { stream } = partition;
    const policy = this.policyOf(stream);
    const children = this.childrenOf(stream);
    // Only one-page documents are shared: the pages of a listing would be held until its last reader.
    const sharers = countSharers(children.filter((child) => child.request.paging(this.options.config).kind === 'none').map((child) => child.request.endpoint));
    const listed = new Map<Stream, Set<string>>(children.map((child) => [child, new Set<string>()]));
    const ending: Ending = { exhausted: false, reachedBookmark: false };
    let cursor: PartitionCursor | undefined;
    try {
      const gate = await this.gate(partition);
      if (gate.warning) yield [{ kind: 'log', level: 'warn', message: gate.warning }];
      if (gate.skip) return;
      const bookmark = this.bookmark(partition);
      const parentField = policy?.unchangedWhenParent;
      if (partition.parent && policy && parentField !== undefined && parentShowsNothingNew(policy, partition.parent.record[parentField], bookmark)) {
        this.summary.skippedPartitions++;
        return;
      }
      cursor = policy && this.isIncremental(stream) ? new PartitionCursor(policy, bookmark, this.now, this.now()) : undefined;
      const windows = children.length === 0 ? cursor?.windows(this.options.config.startDate) : undefined;
      if (cursor && windows) {
        yield* this.readWindows(partition, cursor, bookmark, windows);
        return;
      }
      const pages = this.readPages(partition, cursor, bookmark, ending, new PartitionReading(partition.where));
      if (children.length === 0) {
        yield* this.recordsOnly(partition, pages, cursor);
      } else {
        yield* mergeBounded(this.recordsWithChildren(partition, pages, children, sharers, listed), this.options.config.maxConcurrency, this.childPlaces(stream));
      }
    } catch (error) {
      yield* this.partitionFailed(partition, error);
      return;
    }
    if (this.stopped) return;
    if (ending.exhausted) yield* this.pruneUnlisted(partition, listed);
    if ((ending.exhausted || ending.reachedBookmark) && cursor) this.saveBookmark(partition, cursor.completed());
    yield [{ kind: 'checkpoint' }];
  }

  /**
   * A partition read window after window (oldest first): each read whole moves the bookmark to its
   * end and is checkpointed, so an interrupted run resumes at the window it was in. A record read in
   * two windows (a server whose end is inclusive) is emitted once.
   */
  private async *readWindows(partition: Partition, cursor: PartitionCursor, bookmark: Bookmark | undefined, windows: readonly ReadWindow[]): AsyncGenerator<EngineEvent[]> {
    const reading = new PartitionReading(partition.where);
    for (const window of windows) {
      reading.nextListing();
      const ending: Ending = { exhausted: false, reachedBookmark: false };
      yield* this.recordsOnly(partition, this.readPages(partition, cursor, bookmark, ending, reading, window), cursor);
      if (this.stopped || !ending.exhausted) return;
      this.saveBookmark(partition, cursor.windowBookmark(window.end));
      yield [{ kind: 'checkpoint' }];
    }
  }

  /** A partition whose stream has no child to read: page batches, and the bookmark after every page where the order allows. */
  private async *recordsOnly(partition: Partition, pages: AsyncIterable<PageRead>, cursor: PartitionCursor | undefined): AsyncGenerator<EngineEvent[]> {
    const emitting = this.selected.has(partition.stream.name);
    for await (const page of pages) {
      const batch: EngineEvent[] = page.warnings.map((message) => ({ kind: 'log', level: 'warn', message }));
      if (emitting) for (const { converted, emit } of page.records) if (emit) batch.push(this.recordEvent(partition.stream, converted.record));
      if (batch.length > 0) yield batch;
      if (page.failure !== undefined) throw page.failure;
      const moved = cursor?.pageBookmark();
      if (moved) {
        this.saveBookmark(partition, moved);
        yield [{ kind: 'checkpoint' }];
      }
    }
  }

  /** One unit of work per record: the record itself, then its children's partitions. */
  private async *recordsWithChildren(
    partition: Partition,
    pages: AsyncIterable<PageRead>,
    children: Stream[],
    sharers: ReadonlyMap<string, number>,
    listed: Map<Stream, Set<string>>,
  ): AsyncGenerator<AsyncIterable<EngineEvent[]>> {
    const sharing = [...sharers.values()].some((count) => count >= 2);
    const emitting = this.selected.has(partition.stream.name);
    for await (const page of pages) {
      if (page.warnings.length > 0) yield once(page.warnings.map((message): EngineEvent => ({ kind: 'log', level: 'warn', message })));
      for (const { converted, emit } of page.records) {
        if (this.stopped) return;
        const own: EngineEvent[] = emitting && emit ? [this.recordEvent(partition.stream, converted.record)] : [];
        const childContext = converted.childContext;
        if (childContext) for (const child of children) listed.get(child)?.add(contextKey(childContext));
        this.summary.parentsListed++;
        yield this.withChildren(partition, own, children, converted, sharing ? new SharedResponses(sharers) : undefined);
      }
      if (page.failure !== undefined) throw page.failure;
    }
  }

  /** A parent record, then its children's partitions one after another (so that siblings can share a response). */
  private async *withChildren(partition: Partition, own: EngineEvent[], children: Stream[], parent: Converted, responses: SharedResponses | undefined): AsyncGenerator<EngineEvent[]> {
    if (own.length > 0) yield own;
    const context = parent.childContext;
    if (context) {
      const where = Object.values(context).join('/');
      const siblings = responses && { responses };
      for (const child of children) {
        yield* this.readPartition({ stream: child, organization: partition.organization, context, where: `${child.name} (${where})`, parent, ...(siblings ? { siblings } : {}) });
      }
    }
    this.summary.parentsDone++;
  }

  /** A stream's cursor policy for this run (a look-back may be a setting). */
  private policyOf(stream: Stream): CursorPolicy | undefined {
    const cursor = stream.cursor;
    if (!cursor) return undefined;
    const { lookbackSeconds, ...rest } = cursor;
    const seconds = typeof lookbackSeconds === 'function' ? lookbackSeconds(this.options.config) : lookbackSeconds;
    return seconds === undefined ? rest : { ...rest, lookbackSeconds: seconds };
  }

  /** The pages of a partition turned into records with the cursor's verdicts; ends early at the bookmark. */
  private async *readPages(
    partition: Partition,
    cursor: PartitionCursor | undefined,
    bookmark: Bookmark | undefined,
    ending: Ending,
    reading: PartitionReading,
    window?: ReadWindow,
  ): AsyncGenerator<PageRead> {
    const { stream, context, where } = partition;
    const request = stream.request;
    const style = request.paging(this.options.config);
    const start = window && cursor ? (window.start === undefined ? undefined : cursor.wire(window.start)) : cursor?.startWire(this.options.config.startDate);
    // Asked once per listing: a query that fixes a time window keeps it for every page.
    const baseQuery = window && cursor ? request.query?.(context, this.options.config, start, cursor.wire(window.end)) : request.query?.(context, this.options.config, start);
    const fetchPage = (next: NextPage, malformation: (body: unknown) => string | undefined) =>
      this.fetch(partition, 'url' in next ? next : { query: { ...baseQuery, ...next.query } }, malformation);
    let emitted = 0;
    let listed = 0;
    let announced: number | undefined;
    // A partition read from its start adds the server's total to the estimate; one read from a bookmark, what it emitted.
    const onPage = (body: unknown, page: number) => {
      if (page !== 1) return;
      announced = new Pager(style, request.records, where).total(body);
      if (announced !== undefined && !bookmark) this.estimate(stream.name, announced);
    };
    for await (const items of paginate(fetchPage, request.records, style, where, onPage)) {
      listed += items.length;
      // Stopped mid-partition: its bookmark stays where it was.
      if (this.stopped || this.full(stream.name)) return;
      const page: PageRead = { records: [], warnings: [] };
      let fresh = 0;
      let stop = false;
      try {
        for (const item of items) {
          const converted = stream.convert(item, context);
          if (!reading.isNew(converted.key)) continue;
          fresh++;
          const verdict = cursor ? cursor.observe(converted) : 'emit';
          if (verdict === 'invalid') throw new RecordError(`${stream.cursor?.field ?? 'cursor'} is ${JSON.stringify(cursor?.invalidValue) ?? 'not a value'}, not a ${stream.cursor?.type ?? 'cursor'} value`);
          const future = this.futureWarning(partition, cursor);
          if (future) page.warnings.push(future);
          const disorder = this.disorderWarning(partition, cursor);
          if (disorder) page.warnings.push(disorder);
          const unreadable = this.unreadableTimeWarning(partition, item, converted.record);
          if (unreadable) page.warnings.push(unreadable);
          if (verdict === 'stop') {
            stop = true;
            break;
          }
          page.records.push({ converted, emit: verdict === 'emit' });
        }
      } catch (error) {
        // The records before the one that failed are good: they go out before the failure.
        page.failure = error instanceof Error ? error : new RecordError(messageOf(error));
      }
      emitted += page.records.filter((r) => r.emit).length;
      yield page;
      if (page.failure !== undefined) return;
      if (stop) {
        ending.reachedBookmark = true;
        break;
      }
      reading.pageRead(items.length, fresh);
    }
    if (!ending.reachedBookmark && !this.stopped) ending.exhausted = true;
    if (bookmark) this.estimate(stream.name, emitted);
    // Pages named by URL can end before the total (a search that pages only so far): said, not hidden.
    if (ending.exhausted && style.kind === 'next-url' && announced !== undefined && listed < announced) {
      yield { records: [], warnings: [`${where}: the API named no page after ${listed} of the ${announced} items it counts; the rest cannot be read this way`] };
    }
  }

  /**
   * A time the API sent that the record holds as null could not be read (the API mixes several
   * formats): the record goes out with null, said once per stream.
   */
  private unreadableTimeWarning(partition: Partition, item: unknown, record: Record<string, unknown>): string | undefined {
    const { stream } = partition;
    const unreadable = this.options.unreadableTime;
    // A stream read only for its children has no schema: nothing of it goes out.
    if (!unreadable || this.timeReported.has(stream.name) || !this.selected.has(stream.name)) return undefined;
    let fields = this.timeFieldsOf.get(stream);
    if (!fields) {
      const properties = this.options.schemas.schema(stream.name).properties ?? {};
      fields = Object.entries(properties)
        .filter(([, property]) => property['format'] === 'date-time')
        .map(([name]) => name);
      this.timeFieldsOf.set(stream, fields);
    }
    for (const field of fields) {
      if (record[field] !== null) continue;
      const sent = unreadable(item, field);
      if (sent === undefined) continue;
      this.timeReported.add(stream.name);
      return `${partition.where}: ${field} ${JSON.stringify(sent.slice(0, 40))} is not a time the tap can read; emitted as null; further values like it in ${stream.name} are not reported`;
    }
    return undefined;
  }

  /** A newest-first listing out of order is read to its end, and said once per stream. */
  private disorderWarning(partition: Partition, cursor: PartitionCursor | undefined): string | undefined {
    if (!cursor?.outOfOrder || this.disorderReported.has(partition.stream.name)) return undefined;
    this.disorderReported.add(partition.stream.name);
    return `${partition.where}: the API did not send records newest first; the listing is read to its end instead of stopping at the bookmark; further partitions like it are not reported`;
  }

  /** The first cursor value in the future of a stream is logged: a millisecond time taken for seconds would pin the bookmark. */
  private futureWarning(partition: Partition, cursor: PartitionCursor | undefined): string | undefined {
    const value = cursor?.futureValue;
    if (value === undefined || this.futureReported.has(partition.stream.name)) return undefined;
    this.futureReported.add(partition.stream.name);
    const field = partition.stream.cursor?.field ?? 'cursor';
    return `${partition.where}: ${field} ${value} is in the future (not Unix seconds?); the record is emitted but the bookmark does not move to it; further values like it are not reported`;
  }

  private saveBookmark(partition: Partition, saved: ReturnType<PartitionCursor['completed']>): void {
    const policy = partition.stream.cursor;
    if (!saved || !policy) return;
    const state: PartitionState = { context: partition.context, replication_key: policy.field, replication_key_value: codecFor(policy.type).toState(saved.position) };
    if (saved.unsettled) state.unsettled = true;
    if (saved.nullCursorKeys.length > 0) state.null_cursor_keys = saved.nullCursorKeys;
    this.options.state.set(partition.stream.name, state);
    this.dirty.add(partition.stream.name);
  }

  /** After a whole listing: a child partition whose parent record is no longer listed is gone, and so is its bookmark. */
  private *pruneUnlisted(partition: Partition, listed: Map<Stream, Set<string>>): Generator<EngineEvent[]> {
    for (const [child, keep] of listed) {
      if (!this.isIncremental(child)) continue;
      const dropped = this.options.state.prune(child.name, (context) => withinContext(context, partition.context) && !keep.has(contextKey(context)));
      if (dropped === 0) continue;
      this.dirty.add(child.name);
      yield [{ kind: 'log', level: 'info', message: `${child.name} (${partition.where.replace(/^[^(]*\(|\)$/g, '')}): ${dropped} bookmark(s) of partitions no longer listed dropped from the state` }];
    }
  }

  private *partitionFailed(partition: Partition, error: unknown): Generator<EngineEvent[]> {
    if (this.stopped) return;
    const status = error instanceof ApiError ? error.status : undefined;
    const { statuses } = partition.stream;
    if (status !== undefined && statuses.gone?.includes(status)) {
      yield [{ kind: 'log', level: 'warn', message: `${partition.where}: not found any more (deleted since it was listed); skipped` }];
      return;
    }
    if (status !== undefined && statuses.unavailable?.includes(status)) {
      yield [{ kind: 'log', level: 'warn', message: `${partition.where}: not available (${status}), as on plans without this feature; skipped. ${messageOf(error)}` }];
      return;
    }
    const scope = partition.where.slice(partition.stream.name.length);
    yield this.selectedWithin(partition.stream).map((stream) => this.failure(stream, `${stream.name}${scope}`, error));
  }

  private estimate(stream: string, rows: number): void {
    this.estimates.set(stream, (this.estimates.get(stream) ?? 0) + rows);
    this.estimatesChanged.add(stream);
  }

  /** At most one estimate per stream every two seconds: enough for a progress bar. */
  private estimateEvents(force = false): SyncEvent[] {
    const now = this.now();
    if (this.estimatesChanged.size === 0 || (!force && now - this.lastEstimate < 2000)) return [];
    this.lastEstimate = now;
    const events = [...this.estimatesChanged].filter((stream) => this.selected.has(stream)).map((stream): SyncEvent => ({ kind: 'estimate', stream, rows: this.estimates.get(stream) ?? 0 }));
    this.estimatesChanged.clear();
    return events;
  }

  private failure(stream: Stream, where: string, error: unknown): SyncEvent {
    this.summary.failedStreams.add(stream.name);
    // A rejected token fails every request that follows: stop instead of failing each one.
    if (error instanceof ApiError && error.status === 401 && !this.stopped) {
      this.interrupt(new InterruptedError(`stopped: the access token was rejected (401), so every later request would fail too: ${messageOf(error)}`, 'config_error'));
    }
    const message = messageOf(error);
    // Paging errors already name the partition they come from.
    return { kind: 'error', stream: stream.name, error, message: message.startsWith(`${where}: `) ? message : `${where}: ${message}` };
  }

  /** The single exit of every batch: statuses, validation and checkpoints happen here, in output order. */
  private deliver(batch: EngineEvent[]): SyncEvent[] {
    const out: SyncEvent[] = [];
    for (const event of batch) {
      if (event.kind === 'checkpoint') {
        out.push(...(event.final ? this.finalState(event.final) : this.checkpoint()));
        continue;
      }
      if (event.kind !== 'record') {
        out.push(event);
        continue;
      }
      if (this.full(event.stream)) continue;
      if (!this.running.has(event.stream)) {
        this.running.add(event.stream);
        const stream = this.options.streams.find((s) => s.name === event.stream);
        if (stream) out.push(this.status(stream, 'RUNNING'));
      }
      this.summary.records.set(event.stream, (this.summary.records.get(event.stream) ?? 0) + 1);
      this.recordsSinceState.add(event.stream);
      this.recordBytesSinceCheckpoint += event.json.length;
      const validate = this.options.schemas.validator(event.stream);
      if (!validate(event.record) && !this.invalidReported.has(event.stream)) {
        this.invalidReported.add(event.stream);
        const problem = (validate.errors ?? []).map((e) => `${e.instancePath || '(record)'} ${e.message ?? ''}`).join('; ');
        out.push({ kind: 'log', level: 'warn', message: `${event.stream}: a record does not match the stream's schema (${problem}); emitted as is, further mismatches not reported` });
      }
      out.push(event);
    }
    out.push(...this.estimateEvents(), ...this.checkpoint());
    return out;
  }

  private stateEvent(stream: string): SyncEvent {
    this.checkpointed.add(stream);
    this.recordsSinceState.delete(stream);
    this.dirty.delete(stream);
    return { kind: 'state', stream, state: this.options.state };
  }

  /**
   * A checkpoint of the streams whose bookmarks moved, at most every checkpoint interval, and only
   * once the records written since the last one outweigh the state itself: every state holds every
   * bookmark, so on many partitions a state after each would make the output quadratic.
   */
  private checkpoint(): SyncEvent[] {
    if (this.dirty.size === 0) return [];
    const now = this.now();
    if (now - this.lastCheckpoint < this.checkpointIntervalMs) return [];
    if (this.recordBytesSinceCheckpoint < this.options.state.approximateBytes()) return [];
    this.lastCheckpoint = now;
    this.recordBytesSinceCheckpoint = 0;
    return [...this.dirty].filter((stream) => this.selected.has(stream)).map((stream) => this.stateEvent(stream));
  }

  /** Every stream ends with a state after its last record, but not the same state twice in a row. */
  private finalState(stream: string): SyncEvent[] {
    if (!this.dirty.has(stream) && this.checkpointed.has(stream) && !this.recordsSinceState.has(stream)) return [];
    return [this.stateEvent(stream)];
  }
}

async function* once<T>(item: T): AsyncGenerator<T> {
  yield await Promise.resolve(item);
}

/** A stream and every stream it hangs off. */
function ancestry(stream: Stream): Stream[] {
  return stream.parent ? [...ancestry(stream.parent), stream] : [stream];
}

function withoutProperties(schema: JsonSchema, excluded: ReadonlySet<string> | undefined): JsonSchema {
  if (!excluded || excluded.size === 0) return schema;
  const keep = ([name]: [string, unknown]) => !excluded.has(name);
  return {
    ...schema,
    properties: Object.fromEntries(Object.entries(schema.properties ?? {}).filter(keep)),
    ...(schema.required ? { required: schema.required.filter((name) => !excluded.has(name)) } : {}),
  };
}

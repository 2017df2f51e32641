// The protocol-neutral sync engine: reads the selected streams for every organization, applies
// bookmarks, and yields records, state checkpoints, statuses and errors in an order that is safe to
// write as is: a checkpoint never covers a record that has not been yielded before it.
import { setMaxListeners } from 'node:events';
import type { SelectedStream } from '../catalog.js';
import type { TapConfig } from '../config.js';
import { ApiError, InterruptedError, messageOf, PagingError, RecordError } from '../errors.js';
import type { Query } from '../http/client.js';
import { paginate } from '../paging.js';
import type { JsonSchema, SchemaRegistry } from '../schemas.js';
import { CLOCK_MARGIN_SECONDS, contextKey, type KeyValue, type PartitionState, type StateStore } from '../state.js';
import { childrenOf, STREAMS } from '../streams/index.js';
import type { AnyRecord, Bookmark, Context, StreamDefinition, StreamName } from '../streams/types.js';
import type { StreamStatus, SyncEvent } from './events.js';
import { Limiter, mergeBounded } from './merge.js';

/** One page to request: `stream` is the configured stream it serves; `signal` aborts it when the sync stops. */
export interface PageRequest {
  path: string;
  query: Query;
  stream: StreamName;
  endpoint: string;
  signal: AbortSignal;
  /** Why a response is not a page of this listing (then it is retried), or undefined. */
  malformation: (body: unknown) => string | undefined;
}

export type Fetch = (request: PageRequest) => Promise<unknown>;

export interface SyncOptions {
  config: TapConfig;
  selection: readonly SelectedStream[];
  state: StateStore;
  fetch: Fetch;
  schemas: SchemaRegistry;
  /** Minimum time between two checkpoints of a stream while its partitions complete. */
  checkpointIntervalMs?: number;
  now?: () => number;
  /** Aborted on SIGTERM: no new request starts, and the run ends with a consistent state. */
  signal?: AbortSignal;
  /** Singer `--test`: at most this many records per stream, and reading stops once each has them. */
  recordLimit?: number;
}

type Def = StreamDefinition<AnyRecord>;
type RecordEvent = Extract<SyncEvent, { kind: 'record' }>;

/**
 * What sources hand to `deliver`: sync events, and marks where a checkpoint may be written. Whether
 * one is, and which streams it covers, is decided in output order, where the records are counted.
 */
type EngineEvent = SyncEvent | { kind: 'checkpoint'; final?: StreamName };

export interface SyncSummary {
  records: Map<StreamName, number>;
  failedStreams: Set<StreamName>;
  skippedPartitions: number;
  /** Why the run stopped before its end, if it did. */
  interruption?: InterruptedError;
  /** Parent records with child streams to read (stacks), and those whose children are done: for a progress line. */
  parentsListed: number;
  parentsDone: number;
}

/** A page that brings nothing new, twice in a row, means the server is going round in circles. */
const STALE_PAGES_LIMIT = 2;

/** Keys read so far in one partition: a record is emitted once, and a listing that only repeats itself is stopped. */
class PartitionReading {
  private readonly keys = new Set<string>();
  private stalePages = 0;

  constructor(private readonly where: string) {}

  isNew(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    return true;
  }

  pageRead(newRecords: number): void {
    this.stalePages = newRecords > 0 ? 0 : this.stalePages + 1;
    if (this.stalePages >= STALE_PAGES_LIMIT) {
      throw new PagingError(`${this.where}: ${STALE_PAGES_LIMIT} pages in a row held only items already read; stopping to avoid reading the same items forever`);
    }
  }
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

/** A key value that names the record exactly: a non-empty string or an exact integer. */
function isExactKey(value: unknown): value is KeyValue {
  return (typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isSafeInteger(value));
}

/** The record's primary key as text; a record whose key was not sent exactly is never emitted. */
export function recordKey(def: Def, record: AnyRecord): string {
  const values: KeyValue[] = [];
  for (const property of def.keyProperties) {
    const value = record[property];
    if (!isExactKey(value)) throw new RecordError(`key property '${property}' is ${describeValue(value)}; a record is never emitted with an invented key`);
    values.push(value);
  }
  return JSON.stringify(values);
}

export class SyncEngine {
  readonly summary: SyncSummary = { records: new Map(), failedStreams: new Set(), skippedPartitions: 0, parentsListed: 0, parentsDone: 0 };
  /** Expected rows per stream: totals of histories read from the start, records of the others. */
  private readonly estimates = new Map<StreamName, number>();
  private readonly estimatesChanged = new Set<StreamName>();
  private lastEstimate = 0;
  private readonly selected: Map<StreamName, SelectedStream>;
  private readonly running = new Set<StreamName>();
  private readonly invalidReported = new Set<StreamName>();
  private readonly outOfRangeReported = new Set<StreamName>();
  /** Streams whose bookmarks changed since their last STATE. */
  private readonly dirty = new Set<StreamName>();
  /** Streams that have had at least one STATE. */
  private readonly checkpointed = new Set<StreamName>();
  /** Streams with records written after their last STATE. */
  private readonly recordsSinceState = new Set<StreamName>();
  private lastCheckpoint = 0;
  /** Record bytes delivered since the last checkpoint: a state is written only when the data it covers outweighs it. */
  private recordBytesSinceCheckpoint = 0;
  private readonly now: () => number;
  private readonly checkpointIntervalMs: number;
  /** Aborts in-flight requests when the run must stop (a signal, or a rejected token). */
  private readonly stop = new AbortController();
  /** At most max_concurrency requests in flight, across organizations and streams. */
  private readonly requests: Limiter;

  constructor(private readonly options: SyncOptions) {
    this.selected = new Map(options.selection.map((s) => [s.name, s]));
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

  private interrupt(reason: InterruptedError): void {
    this.summary.interruption ??= reason;
    this.stop.abort(reason);
  }

  private get stopped(): boolean {
    return this.stop.signal.aborted;
  }

  /** The configured stream a request serves: a parent read only for its children reports as a child. */
  private reportedAs(def: Def): StreamName {
    if (this.selected.has(def.name)) return def.name;
    return childrenOf(def.name).find((child) => this.selected.has(child.name))?.name ?? def.name;
  }

  private async fetch(def: Def, context: Context, query: Query, malformation: (body: unknown) => string | undefined): Promise<unknown> {
    const release = await this.requests.acquire(this.stop.signal);
    try {
      return await this.options.fetch({
        path: def.path(context),
        query: { ...def.query?.(context, this.options.config), ...query },
        stream: this.reportedAs(def),
        endpoint: def.endpoint,
        signal: this.stop.signal,
        malformation,
      });
    } finally {
      release();
    }
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

  /**
   * Stream families (a root stream with its children: stacks and stack_updates; members; teams) and
   * organizations run side by side; the request limiter keeps the total in flight bounded.
   */
  private async *runFamilies(): AsyncGenerator<SyncEvent[]> {
    for (const s of this.options.selection) if (s.syncMode === 'full_refresh') this.options.state.clear(s.name);
    const families = STREAMS.filter((def) => !def.parent).map((root) => this.runFamily(root));
    // Every batch leaves through deliver, in output order, whichever family it comes from.
    for await (const batch of mergeBounded(families, families.length)) yield this.deliver(batch);
  }

  private async *runFamily(root: Def): AsyncGenerator<EngineEvent[]> {
    const children = childrenOf(root.name).filter((child) => this.selected.has(child.name));
    const family = [...(this.selected.has(root.name) ? [root] : []), ...children];
    if (family.length === 0 || this.stopped) return;
    yield family.map((def) => this.status(def, 'STARTED'));
    const organizations = this.options.config.organizations.map((organization) => this.readOrganization(root, children, organization));
    yield* mergeBounded(organizations, organizations.length);
    yield this.estimateEvents(true);
    for (const def of family) {
      const interruption = this.summary.interruption;
      const ending: EngineEvent[] = [];
      if (interruption && !this.summary.failedStreams.has(def.name)) ending.push(this.failure(def, def.name, interruption));
      ending.push({ kind: 'checkpoint', final: def.name });
      ending.push(this.status(def, this.summary.failedStreams.has(def.name) ? 'INCOMPLETE' : 'COMPLETE'));
      yield ending;
    }
  }

  /** The STARTED status of every selected stream, whose schema a Singer `--test=schema` run prints. */
  schemaEvents(): SyncEvent[] {
    return STREAMS.filter((def) => this.selected.has(def.name)).map((def) => this.status(def, 'STARTED'));
  }

  private full(stream: StreamName): boolean {
    const limit = this.options.recordLimit;
    return limit !== undefined && (this.summary.records.get(stream) ?? 0) >= limit;
  }

  private status(def: Def, status: StreamStatus): SyncEvent {
    const schema = withoutProperties(this.options.schemas.schema(def.name), this.selected.get(def.name)?.excludedProperties);
    const replicationKey = this.isIncremental(def) ? def.replicationKey : undefined;
    return { kind: 'status', stream: def.name, status, schema, keyProperties: def.keyProperties, ...(replicationKey ? { replicationKey } : {}) };
  }

  private isIncremental(def: Def): boolean {
    return this.selected.get(def.name)?.syncMode === 'incremental' && def.replicationKey !== undefined;
  }

  private bookmark(def: Def, context: Context): Bookmark | undefined {
    if (!this.isIncremental(def)) return undefined;
    const saved = this.options.state.get(def.name, context);
    if (saved) {
      return {
        value: saved.replication_key_value,
        fromState: true,
        unsettled: saved.unsettled === true,
        nullCursorKeys: new Set((saved.null_cursor_keys ?? []).map((key) => JSON.stringify(key))),
      };
    }
    const start = this.options.config.startDate;
    return start === undefined ? undefined : { value: start, fromState: false, unsettled: false, nullCursorKeys: new Set() };
  }

  /** The record serialised inside its partition (with deselected properties left out): a record that cannot be written fails only there. */
  private recordEvent(def: Def, record: AnyRecord): RecordEvent {
    const excluded = this.selected.get(def.name)?.excludedProperties;
    const kept = excluded && excluded.size > 0 ? Object.fromEntries(Object.entries(record).filter(([k]) => !excluded.has(k))) : record;
    let json: string;
    try {
      json = JSON.stringify(kept);
    } catch (error) {
      const why = error instanceof RangeError ? 'it is nested too deeply or too large' : messageOf(error);
      throw new RecordError(`a record cannot be written as JSON: ${why}`);
    }
    return { kind: 'record', stream: def.name, record: kept, json };
  }

  /**
   * A cursor value may move a bookmark only if it is not in the future (beyond the API's clock
   * margin): a millisecond timestamp taken for seconds would otherwise pin the bookmark for ever.
   * The record itself is still emitted; the first such value of a stream is logged.
   */
  private usableCursor(def: Def, value: number, where: string, out: EngineEvent[]): boolean {
    const limit = Math.floor(this.now() / 1000) + CLOCK_MARGIN_SECONDS;
    if (value <= limit) return true;
    if (!this.outOfRangeReported.has(def.name)) {
      this.outOfRangeReported.add(def.name);
      out.push({ kind: 'log', level: 'warn', message: `${where}: ${def.replicationKey ?? 'cursor'} ${value} is in the future (not Unix seconds?); the record is emitted but the bookmark does not move to it; further values like it are not reported` });
    }
    return false;
  }

  /** One organization of a root stream and, per root record, its selected child streams. */
  private async *readOrganization(root: Def, children: Def[], organization: string): AsyncGenerator<EngineEvent[]> {
    const context = root.context(organization);
    const emitRoot = this.selected.has(root.name);
    const bookmark = this.bookmark(root, context);
    const where = `${root.name} (organization ${organization})`;
    const listing: RootListing = { complete: false, children: new Map(children.map((child) => [child.name, new Set<string>()])), nullCursorKeys: [] };
    // A stack listed early may be updated while later pages are read: the bookmark must not pass the
    // listing's own start (less a margin for the server's clock), or that update would never be seen.
    const listingStarted = Math.floor(this.now() / 1000) - CLOCK_MARGIN_SECONDS;
    try {
      const partitions = this.rootPartitions(root, children, organization, bookmark, listing);
      yield* mergeBounded(partitions, this.options.config.maxConcurrency);
      if (listing.complete && !this.stopped) yield* this.pruneUnlisted(children, organization, listing.children);
      // Only a complete listing may move the bookmark: stacks are not listed in time order.
      if (listing.complete && !this.stopped && emitRoot && this.isIncremental(root) && root.replicationKey) {
        this.saveRootBookmark(root, context, bookmark, listing, listingStarted);
      }
    } catch (error) {
      if (error instanceof ApiError && error.status !== undefined && root.unavailableStatuses?.includes(error.status)) {
        yield [{ kind: 'log', level: 'warn', message: `${where}: not available (${error.status}), as on plans without this feature; skipped. ${error.message}` }];
      } else if (!this.stopped) {
        // The organization's listing failed: the root stream and its children are incomplete for it.
        yield [...(emitRoot ? [root] : []), ...children].map((def) => this.failure(def, `${def.name} (organization ${organization})`, error));
      }
    }
    yield [{ kind: 'checkpoint' }];
  }

  private saveRootBookmark(root: Def, context: Context, bookmark: Bookmark | undefined, listing: RootListing, listingStarted: number): void {
    const replicationKey = root.replicationKey;
    if (!replicationKey) return;
    const previous = bookmark?.fromState ? bookmark.value : undefined;
    const nullCursorKeys = listing.nullCursorKeys;
    if (listing.newest === undefined && previous === undefined && nullCursorKeys.length === 0) return;
    const value = Math.max(Math.min(listing.newest ?? listingStarted, listingStarted), previous ?? Number.MIN_SAFE_INTEGER);
    const partition: PartitionState = { context, replication_key: replicationKey, replication_key_value: value };
    if (nullCursorKeys.length > 0) partition.null_cursor_keys = nullCursorKeys;
    this.options.state.set(root.name, partition);
    this.dirty.add(root.name);
  }

  /** After a complete listing: a stack that is no longer listed was deleted, and so is its bookmark. */
  private *pruneUnlisted(children: Def[], organization: string, listed: Map<StreamName, Set<string>>): Generator<EngineEvent[]> {
    for (const child of children) {
      if (!this.isIncremental(child)) continue;
      const keep = listed.get(child.name) ?? new Set<string>();
      const dropped = this.options.state.prune(child.name, (context) => context.org_name === organization && !keep.has(contextKey(context)));
      if (dropped === 0) continue;
      this.dirty.add(child.name);
      yield [{ kind: 'log', level: 'info', message: `${child.name} (organization ${organization}): ${dropped} bookmark(s) of stacks no longer listed dropped from the state` }];
    }
  }

  /** One unit of work per root record: the record itself, then its children's partitions. */
  private async *rootPartitions(root: Def, children: Def[], organization: string, bookmark: Bookmark | undefined, listing: RootListing): AsyncGenerator<AsyncIterable<EngineEvent[]>> {
    const context = root.context(organization);
    const emitRoot = this.selected.has(root.name);
    const where = `${root.name} (organization ${organization})`;
    const fetchPage = (query: Query, malformation: (body: unknown) => string | undefined) => this.fetch(root, context, query, malformation);
    const everyoneFull = () => [...(emitRoot ? [root] : []), ...children].every((def) => this.full(def.name));
    const reading = new PartitionReading(where);
    // Key properties beyond the context name a record within its partition (a stack within its organization).
    const ownKeys = root.keyProperties.filter((property) => !(property in context));
    for await (const items of paginate(fetchPage, root.itemsKey, root.paging(this.options.config), where)) {
      if (everyoneFull()) return;
      let fresh = 0;
      for (const raw of items) {
        if (this.stopped) return;
        const record = root.toRecord(raw, context);
        if (!reading.isNew(recordKey(root, record))) continue;
        fresh++;
        const own: EngineEvent[] = [];
        const cursor = root.replicationKey ? record[root.replicationKey] : undefined;
        let emit: boolean;
        if (typeof cursor === 'number') {
          if (this.usableCursor(root, cursor, where, own)) listing.newest = Math.max(listing.newest ?? cursor, cursor);
          emit = !bookmark || cursor >= bookmark.value;
        } else {
          // No cursor value (a never-updated stack): emitted in the run that first lists it, not in every run.
          const identity = ownKeys.map((property) => record[property]).filter(isExactKey);
          listing.nullCursorKeys.push(identity);
          emit = !bookmark?.nullCursorKeys?.has(JSON.stringify(identity));
        }
        if (emitRoot && emit) own.push(this.recordEvent(root, record));
        for (const child of children) listing.children.get(child.name)?.add(contextKey(child.context(organization, record)));
        if (children.length > 0) this.summary.parentsListed++;
        yield this.withChildren(own, children, organization, record);
      }
      reading.pageRead(fresh);
    }
    listing.complete = true;
  }

  private async *withChildren(own: EngineEvent[], children: Def[], organization: string, parent: AnyRecord): AsyncGenerator<EngineEvent[]> {
    if (own.length > 0) yield own;
    if (children.length === 0) return;
    for (const child of children) yield* this.readChildPartition(child, organization, parent);
    this.summary.parentsDone++;
  }

  private async *readChildPartition(def: Def, organization: string, parent: AnyRecord): AsyncGenerator<EngineEvent[]> {
    const context = def.context(organization, parent);
    const bookmark = this.bookmark(def, context);
    if (bookmark && def.parentShowsChanges && !def.parentShowsChanges(parent, bookmark)) {
      this.summary.skippedPartitions++;
      return;
    }
    const where = `${def.name} (${Object.values(context).join('/')})`;
    const fetchPage = (query: Query, malformation: (body: unknown) => string | undefined) => this.fetch(def, context, query, malformation);
    const key = def.replicationKey;
    const reading = new PartitionReading(where);
    let newest: number | undefined;
    let oldestUnsettled: number | undefined;
    let sawUnsettled = false;
    let emitted = 0;
    // A history read from its start adds its total to the estimate; one read from a bookmark, what it held.
    const onPage = (body: Record<string, unknown>, page: number) => {
      if (!bookmark && page === 1 && typeof body.total === 'number') this.estimate(def.name, body.total);
    };
    try {
      for await (const items of paginate(fetchPage, def.itemsKey, def.paging(this.options.config), where, onPage)) {
        // Stopped mid-history: this partition's bookmark stays where it was.
        if (this.stopped || this.full(def.name)) return;
        const batch: EngineEvent[] = [];
        let reachedBookmark = false;
        let fresh = 0;
        try {
          for (const raw of items) {
            const record = def.toRecord(raw, context);
            if (!reading.isNew(recordKey(def, record))) continue;
            fresh++;
            const value = key ? record[key] : undefined;
            // A record without a time yet (an update not started: 0) says nothing about where paging is.
            if (bookmark && typeof value === 'number' && value > 0 && value < bookmark.value) {
              reachedBookmark = def.newestFirst === true;
              if (reachedBookmark) break;
              continue;
            }
            const usable = typeof value === 'number' && this.usableCursor(def, value, where, batch);
            if (usable) newest = newest === undefined ? value : Math.max(newest, value);
            if (def.isSettled && !def.isSettled(record)) {
              sawUnsettled = true;
              // An unfinished update that has not started has no time yet: it cannot hold the bookmark back.
              if (usable && value > 0) oldestUnsettled = oldestUnsettled === undefined ? value : Math.min(oldestUnsettled, value);
            }
            batch.push(this.recordEvent(def, record));
          }
        } catch (error) {
          // The records before the one that failed are good: they go out before the failure.
          if (batch.length > 0) yield batch;
          throw error;
        }
        emitted += batch.length;
        if (batch.length > 0) yield batch;
        // Newest first: everything after the bookmark has been read; leaving the loop ends paging.
        if (reachedBookmark) break;
        reading.pageRead(fresh);
      }
    } catch (error) {
      if (this.stopped) return;
      if (def.missingMeansGone && error instanceof ApiError && error.status === 404) {
        yield [{ kind: 'log', level: 'warn', message: `${where}: not found any more (deleted since it was listed); skipped` }];
        return;
      }
      yield [this.failure(def, where, error)];
      return;
    }
    if (bookmark) this.estimate(def.name, emitted);
    if (!key || !this.isIncremental(def)) return;
    const previous = bookmark?.fromState ? bookmark.value : undefined;
    const candidates = [newest, previous].filter((v): v is number => v !== undefined);
    // The bookmark stops at the oldest unfinished update so the next sync reads it again, finished.
    // An empty history is remembered as 0, so an unchanged never-updated stack is not asked again.
    const value = oldestUnsettled ?? (candidates.length > 0 ? Math.max(...candidates) : sawUnsettled ? undefined : 0);
    if (value === undefined) return;
    const partition: PartitionState = { context, replication_key: key, replication_key_value: value };
    if (sawUnsettled) partition.unsettled = true;
    this.options.state.set(def.name, partition);
    this.dirty.add(def.name);
  }

  private estimate(stream: StreamName, rows: number): void {
    this.estimates.set(stream, (this.estimates.get(stream) ?? 0) + rows);
    this.estimatesChanged.add(stream);
  }

  /** At most one estimate per stream every two seconds: enough for a progress bar. */
  private estimateEvents(force = false): SyncEvent[] {
    const now = this.now();
    if (this.estimatesChanged.size === 0 || (!force && now - this.lastEstimate < 2000)) return [];
    this.lastEstimate = now;
    const events = [...this.estimatesChanged].map((stream): SyncEvent => ({ kind: 'estimate', stream, rows: this.estimates.get(stream) ?? 0 }));
    this.estimatesChanged.clear();
    return events;
  }

  private failure(def: Def, where: string, error: unknown): SyncEvent {
    this.summary.failedStreams.add(def.name);
    // A rejected token fails every request that follows: stop instead of failing each one.
    if (error instanceof ApiError && error.status === 401 && !this.stopped) {
      this.interrupt(new InterruptedError(`stopped: Pulumi Cloud rejected the access token (401); check 'token' or PULUMI_ACCESS_TOKEN`, 'config_error'));
    }
    const message = messageOf(error);
    // Paging errors already name the partition they come from.
    return { kind: 'error', stream: def.name, error, message: message.startsWith(`${where}: `) ? message : `${where}: ${message}` };
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
        const def = STREAMS.find((s) => s.name === event.stream);
        if (def) out.push(this.status(def, 'RUNNING'));
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

  private stateEvent(stream: StreamName): SyncEvent {
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
    return [...this.dirty].map((stream) => this.stateEvent(stream));
  }

  /** Every stream ends with a state after its last record, but not the same state twice in a row. */
  private finalState(stream: StreamName): SyncEvent[] {
    if (!this.dirty.has(stream) && this.checkpointed.has(stream) && !this.recordsSinceState.has(stream)) return [];
    return [this.stateEvent(stream)];
  }
}

interface RootListing {
  complete: boolean;
  /** The newest usable cursor value listed. */
  newest?: number;
  /** Per child stream, the partitions of every listed record: bookmarks of records no longer listed are dropped. */
  children: Map<StreamName, Set<string>>;
  /** Key values of the listed records that have no cursor value. */
  nullCursorKeys: KeyValue[][];
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

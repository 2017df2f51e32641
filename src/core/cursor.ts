// Cursor policies: how a stream's records are compared with its bookmark, and when and where the
// bookmark of one partition may move. The rules depend on the policy's data only (the cursor's
// type, the order pages come in, a look-back), never on which stream it is.
import { ConfigError } from '../errors.js';

export type CursorType =
  /** Integer Unix seconds; 0 means "no time yet" (an update that has not started). */
  | 'unix-seconds'
  /** An RFC 3339 date-time string (or `YYYY-MM-DD HH:MM:SS[.fff]` without a zone, read as UTC). */
  | 'rfc3339'
  /** A plain increasing integer (a revision number). */
  | 'sequence';

export type CursorOrder =
  /** Pages come newest first: reading stops at the first record older than the bookmark; the bookmark moves when the partition is complete. */
  | 'newest-first'
  /** Pages come oldest first: the bookmark moves after every page, so an interrupted partition resumes where it stopped. */
  | 'oldest-first'
  /** No order: every record is read; the bookmark moves when the partition is complete, and never past the time reading began. */
  | 'unsorted';

export interface CursorPolicy {
  /** The record field holding the cursor value. */
  readonly field: string;
  readonly type: CursorType;
  readonly order: CursorOrder;
  /** Records this much older than the bookmark are read again (statuses that change after the fact; an inexact server filter). */
  readonly lookbackSeconds?: number;
  /**
   * The parent record's field that holds this partition's newest cursor value (say, a parent's
   * "last updated" time that is the start of its newest child record): with it, an unchanged
   * partition costs no request.
   */
  readonly unchangedWhenParent?: string;
  /**
   * The server filters by a window (a start and an end): a partition with a starting point is read
   * as consecutive windows of this many seconds up to now, and once a window is read whole the
   * bookmark moves to its end, whatever order its records came in, so an interrupted run resumes at
   * the window it was in. A partition without a starting point is one window, from the beginning.
   */
  readonly windowSeconds?: number;
}

/** One window of a windowed read: positions, the end not included; no start is the beginning. */
export interface ReadWindow {
  readonly start: number | undefined;
  readonly end: number;
}

/** How far the API's clock may be ahead of ours, in seconds. */
export const CLOCK_MARGIN_SECONDS = 300;

/** Values of one cursor type as positions on a number line, and back. */
export interface CursorCodec {
  /** A record's value as a position; null when it has none (yet); 'invalid' when it cannot be one. */
  parse(value: unknown): number | null | 'invalid';
  /** A bookmark from a state file as a position; throws on a value that cannot be one. */
  fromState(value: unknown, where: string): number;
  /** A position as written to state. */
  toState(position: number): number | string;
  /** A position as the API takes it in a query (a server-side filter). */
  toWire(position: number): number | string;
  /** Positions per second of time; 0 for a cursor that is not a time. */
  readonly perSecond: number;
  /** A Unix time in seconds as a position (start_date, the clock); undefined for a cursor that is not a time. */
  fromUnixSeconds(seconds: number): number | undefined;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$/;

/** Milliseconds of an RFC 3339 time, or of the API's zone-less `YYYY-MM-DD HH:MM:SS[.fff]` (UTC). */
export function parseTimestamp(text: string): number | undefined {
  if (!RFC3339.test(text)) return undefined;
  const zoned = /([Zz]|[+-]\d{2}:\d{2})$/.test(text) ? text : `${text}Z`;
  const ms = Date.parse(zoned.replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : ms;
}

function exactInteger(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

const unixSeconds: CursorCodec = {
  parse(value) {
    if (value === null || value === undefined) return null;
    const seconds = exactInteger(value);
    if (seconds === undefined) return 'invalid';
    return seconds > 0 ? seconds : null;
  },
  fromState(value, where) {
    if (typeof value === 'number' && Number.isFinite(value)) return Math.floor(value);
    if (typeof value === 'string') {
      const seconds = exactInteger(value);
      if (seconds !== undefined) return seconds;
      // Other tools write RFC 3339 bookmarks.
      const ms = /[Zz]|[+-]\d{2}:\d{2}$/.test(value) ? parseTimestamp(value) : undefined;
      if (ms !== undefined) return Math.floor(ms / 1000);
    }
    throw new ConfigError(`${where}: expected Unix seconds, got ${JSON.stringify(value)}`);
  },
  toState: (position) => position,
  toWire: (position) => position,
  perSecond: 1,
  fromUnixSeconds: (seconds) => seconds,
};

const rfc3339: CursorCodec = {
  parse(value) {
    if (value === null || value === undefined) return null;
    if (typeof value !== 'string') return 'invalid';
    return parseTimestamp(value) ?? 'invalid';
  },
  fromState(value, where) {
    if (typeof value === 'string') {
      const ms = parseTimestamp(value);
      if (ms !== undefined) return ms;
    }
    if (typeof value === 'number' && Number.isFinite(value)) return Math.floor(value) * 1000;
    throw new ConfigError(`${where}: expected an RFC 3339 time, got ${JSON.stringify(value)}`);
  },
  toState: (position) => new Date(position).toISOString(),
  toWire: (position) => new Date(position).toISOString(),
  perSecond: 1000,
  fromUnixSeconds: (seconds) => seconds * 1000,
};

const sequence: CursorCodec = {
  parse(value) {
    if (value === null || value === undefined) return null;
    const number = exactInteger(value);
    return number !== undefined && number >= 0 ? number : 'invalid';
  },
  fromState(value, where) {
    const number = exactInteger(value);
    if (number === undefined) throw new ConfigError(`${where}: expected a sequence number, got ${JSON.stringify(value)}`);
    return number;
  },
  toState: (position) => position,
  toWire: (position) => position,
  perSecond: 0,
  fromUnixSeconds: () => undefined,
};

export function codecFor(type: CursorType): CursorCodec {
  switch (type) {
    case 'unix-seconds':
      return unixSeconds;
    case 'rfc3339':
      return rfc3339;
    case 'sequence':
      return sequence;
  }
}

/** One partition's bookmark as the engine reads it. */
export interface Bookmark {
  readonly position: number;
  /** From an earlier sync (not from start_date). */
  readonly fromState: boolean;
  /** An earlier sync saw records that could still change: they must be read again. */
  readonly unsettled: boolean;
  /** Records without a cursor value already emitted, by their key values within the partition (JSON). */
  readonly nullCursorKeys: ReadonlySet<string>;
}

/** A partition's bookmark as it is to be saved. */
export interface SavedBookmark {
  position: number;
  unsettled: boolean;
  nullCursorKeys: (string | number)[][];
}

/** What to do with one record. */
export type Verdict = 'emit' | 'skip' | 'stop';

/** A record the cursor looked at: its cursor value, whether it is settled, its key within the partition. */
export interface Observed {
  readonly cursorValue: unknown;
  readonly settled: boolean;
  readonly ownKey: readonly (string | number)[];
}

/**
 * The bookmark rules of one partition while it is read. `now` is the clock in milliseconds; a
 * value in the future (beyond the clock margin) is emitted but never becomes a bookmark.
 */
export class PartitionCursor {
  private readonly codec: CursorCodec;
  private newest: number | undefined;
  private oldestUnsettled: number | undefined;
  private sawUnsettled = false;
  private readonly nullCursorKeys: (string | number)[][] = [];
  /** Values beyond the clock seen so far, for one warning per stream. */
  futureValue: number | undefined;
  /** A value that is present but cannot be a cursor (set when `observe` returns it). */
  invalidValue: unknown;
  /**
   * A newest-first listing that sent a newer record after an older one: its order cannot be
   * trusted, so reading no longer stops at the bookmark (older records are skipped instead).
   */
  outOfOrder = false;
  private lastPosition: number | undefined;

  constructor(
    private readonly policy: CursorPolicy,
    private readonly bookmark: Bookmark | undefined,
    private readonly now: () => number,
    /** When reading began (ms): an unsorted listing's bookmark never passes it, less the clock margin. */
    private readonly readStartMs: number,
  ) {
    this.codec = codecFor(policy.type);
  }

  private get lookback(): number {
    return (this.policy.lookbackSeconds ?? 0) * this.codec.perSecond;
  }

  /** Where reading starts (the bookmark less the look-back, or start_date), as a position; undefined from the beginning. */
  private startPosition(startDateSeconds: number | undefined): number | undefined {
    return this.bookmark ? this.bookmark.position - this.lookback : startDateSeconds === undefined ? undefined : this.codec.fromUnixSeconds(startDateSeconds);
  }

  /** Where reading starts, in the API's own form, for a server-side filter; undefined from the beginning. */
  startWire(startDateSeconds: number | undefined): number | string | undefined {
    const position = this.startPosition(startDateSeconds);
    return position === undefined ? undefined : this.codec.toWire(position);
  }

  /** A position in the API's own form (a window's end). */
  wire(position: number): number | string {
    return this.codec.toWire(position);
  }

  /**
   * The windows to read, oldest first, from where reading starts (or the beginning: one window) to
   * now; undefined when the policy has none.
   */
  windows(startDateSeconds: number | undefined): ReadWindow[] | undefined {
    const seconds = this.policy.windowSeconds;
    const start = this.startPosition(startDateSeconds);
    const now = this.codec.fromUnixSeconds(Math.floor(this.now() / 1000));
    if (seconds === undefined || seconds <= 0 || now === undefined) return undefined;
    if (start === undefined) return [{ start: undefined, end: now }];
    const size = seconds * this.codec.perSecond;
    // Each window after the first starts a second before the last one ended: whether the server's
    // start and end are inclusive is not known, and a record on the edge must be in one of them.
    const edge = this.codec.perSecond;
    const windows: ReadWindow[] = [];
    for (let from = start; ; from += size) {
      windows.push({ start: windows.length === 0 ? from : from - edge, end: Math.max(from, Math.min(from + size, now)) });
      if (from + size >= now) break;
    }
    return windows;
  }

  /**
   * After a window was read whole: the bookmark moves to its end, but never past now less the clock
   * margin (events are logged late), back before an earlier bookmark, or past an unsettled record.
   */
  windowBookmark(end: number): SavedBookmark {
    const settledUpTo = this.codec.fromUnixSeconds(Math.floor(this.now() / 1000) - CLOCK_MARGIN_SECONDS) ?? end;
    let position = Math.min(end, settledUpTo);
    if (this.bookmark?.fromState) position = Math.max(position, this.bookmark.position);
    if (this.oldestUnsettled !== undefined) position = Math.min(position, this.oldestUnsettled);
    return { position, unsettled: this.sawUnsettled, nullCursorKeys: this.nullCursorKeys };
  }

  /** The latest position that is not in the future, allowing for the API's clock running ahead. */
  private get limit(): number {
    return this.codec.perSecond === 0 ? Number.POSITIVE_INFINITY : (this.codec.fromUnixSeconds(Math.floor(this.now() / 1000) + CLOCK_MARGIN_SECONDS) ?? Number.POSITIVE_INFINITY);
  }

  observe(record: Observed): Verdict | 'invalid' {
    const position = this.codec.parse(record.cursorValue);
    if (position === 'invalid') {
      this.invalidValue = record.cursorValue;
      return 'invalid';
    }
    if (position === null) {
      // No cursor value: while the record can change it is read every time; once settled, once.
      if (!record.settled) {
        this.sawUnsettled = true;
        return 'emit';
      }
      const key = JSON.stringify(record.ownKey);
      this.nullCursorKeys.push([...record.ownKey]);
      return this.bookmark?.nullCursorKeys.has(key) ? 'skip' : 'emit';
    }
    if (this.policy.order === 'newest-first' && this.lastPosition !== undefined && position > this.lastPosition) this.outOfOrder = true;
    this.lastPosition = position;
    const threshold = this.bookmark ? this.bookmark.position - this.lookback : undefined;
    if (threshold !== undefined && position < threshold) return this.policy.order === 'newest-first' && !this.outOfOrder ? 'stop' : 'skip';
    if (position > this.limit) {
      this.futureValue ??= position;
    } else {
      this.newest = this.newest === undefined ? position : Math.max(this.newest, position);
      if (!record.settled) this.oldestUnsettled = this.oldestUnsettled === undefined ? position : Math.min(this.oldestUnsettled, position);
    }
    if (!record.settled) this.sawUnsettled = true;
    return 'emit';
  }

  /** After a page (oldest-first streams): the bookmark so far, or undefined when it cannot move yet. */
  pageBookmark(): SavedBookmark | undefined {
    if (this.policy.order !== 'oldest-first') return undefined;
    return this.completed();
  }

  /** Once every page has been read: the partition's new bookmark, or undefined to keep none. */
  completed(): SavedBookmark | undefined {
    const previous = this.bookmark?.fromState ? this.bookmark.position : undefined;
    let newest = this.newest;
    // An unsorted listing: a record changed while later pages were read may have been listed before
    // its change; the bookmark must not pass the listing's start (less the margin).
    if (this.policy.order === 'unsorted' && newest !== undefined && this.codec.perSecond > 0) {
      newest = Math.min(newest, this.codec.fromUnixSeconds(Math.floor(this.readStartMs / 1000) - CLOCK_MARGIN_SECONDS) ?? newest);
    }
    const candidates = [newest, previous].filter((v): v is number => v !== undefined);
    let position: number | undefined = candidates.length > 0 ? Math.max(...candidates) : undefined;
    // The bookmark stops at the oldest unfinished record so the next sync reads it again, finished.
    if (this.oldestUnsettled !== undefined) position = this.oldestUnsettled;
    if (position === undefined) {
      if (this.nullCursorKeys.length > 0 && this.codec.perSecond > 0) {
        position = this.codec.fromUnixSeconds(Math.floor(this.readStartMs / 1000) - CLOCK_MARGIN_SECONDS);
      } else if (this.policy.unchangedWhenParent !== undefined) {
        // An empty partition (or one whose records have no time yet) is remembered as 0, so an
        // unchanged parent proves it still empty; `unsettled` makes the next sync read it anyway.
        position = 0;
      }
    }
    if (position === undefined) return undefined;
    return { position, unsettled: this.sawUnsettled, nullCursorKeys: this.nullCursorKeys };
  }
}

/**
 * Whether a child partition can hold nothing new, from its parent record alone: the parent's field
 * holds the partition's newest cursor value (see `unchangedWhenParent`).
 */
export function parentShowsNothingNew(policy: CursorPolicy, parentValue: unknown, bookmark: Bookmark | undefined): boolean {
  if (!bookmark || bookmark.unsettled || policy.unchangedWhenParent === undefined) return false;
  const parsed = codecFor(policy.type).parse(parentValue);
  if (parsed === 'invalid') return false;
  // No value: unchanged only if the partition was empty when last read.
  if (parsed === null) return bookmark.fromState && bookmark.position === 0;
  if (parsed !== bookmark.position) return parsed < bookmark.position;
  // The newest record is the one at the bookmark: already read, unless the bookmark is start_date.
  return bookmark.fromState;
}

// What a stream is, declaratively: where its records come from, how they page, their keys and
// replication, and how the API's JSON becomes a record.
import type { TapConfig } from '../config.js';
import type { Query } from '../http/client.js';
import type { PagingStyle } from '../paging.js';

export const STREAM_NAMES = ['stacks', 'stack_updates', 'organization_members', 'organization_teams'] as const;
export type StreamName = (typeof STREAM_NAMES)[number];

/** Identifies one partition of a stream: an organization, or a stack. */
export type Context = Readonly<Record<string, string>>;

export type AnyRecord = Record<string, unknown>;

/** The bookmark of one partition as the engine sees it. */
export interface Bookmark {
  /** Records whose replication key is below this value are old. */
  value: number;
  /** True when the value came from an earlier sync (not from start_date). */
  fromState: boolean;
  /** An earlier sync saw records that could still change (unfinished updates). */
  unsettled: boolean;
  /** Records without a cursor value already emitted by an earlier sync, by their key values outside the context (JSON). */
  nullCursorKeys?: ReadonlySet<string>;
}

export interface StreamDefinition<R extends AnyRecord = AnyRecord> {
  readonly name: StreamName;
  readonly keyProperties: readonly string[];
  /** Integer (Unix seconds) replication key; absent for full-refresh-only streams. */
  readonly replicationKey?: keyof R & string;
  /** Read once per record of this stream instead of once per organization. */
  readonly parent?: StreamName;
  /** The partition context: from the organization for root streams, from the parent record otherwise. */
  context(organization: string, parentRecord?: AnyRecord): Context;
  /** The path with placeholders, for metrics and docs. */
  readonly endpoint: string;
  path(context: Context): string;
  query?(context: Context, config: TapConfig): Query;
  readonly itemsKey: string;
  paging(config: TapConfig): PagingStyle;
  toRecord(raw: unknown, context: Context): R;
  /** Pages come newest first by the replication key, so paging can stop at the bookmark. */
  readonly newestFirst?: boolean;
  /** A record that can still change later: the bookmark must not move past it. */
  isSettled?(record: R): boolean;
  /** Decides from the parent record alone whether the partition can hold anything new. */
  parentShowsChanges?(parentRecord: AnyRecord, bookmark: Bookmark): boolean;
  /** A 404 on a partition means its parent was deleted after it was listed: skip, do not fail. */
  readonly missingMeansGone?: boolean;
  /** Statuses meaning the organization's plan lacks this feature: logged and skipped, not a failure. */
  readonly unavailableStatuses?: readonly number[];
}

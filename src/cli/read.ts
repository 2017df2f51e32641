// `read` (Airbyte) and the Singer sync: config, catalog and state in, messages out.
import { ORGANIZATION_FEATURES } from '../streams/features.js';
import { unreadableTime } from '../streams/times.js';
import { parseCatalog, selectDefault, type SelectedStream } from '../protocol/catalog.js';
import { loadConfig, readJsonFile } from '../config/config.js';
import { SyncEngine } from '../core/engine.js';
import type { Runtime } from './runtime.js';
import { streamValidators } from '../generated/record-validators.js';
import { SchemaRegistry } from '../streams/schemas.js';
import { StateStore } from '../core/state.js';
import { AirbyteWriter } from '../protocol/airbyte-writer.js';
import { SingerWriter } from '../protocol/singer-writer.js';
import { StderrLogger } from '../io/logger.js';
import { SingerMetrics } from '../io/metrics.js';
import { ProgressLine } from '../io/progress.js';
import { TapError } from '../errors.js';
import { STREAM_NAMES, STREAMS } from '../streams/index.js';
import type { RequestOptions } from '../io/http/client.js';
import { createClient } from './client.js';
import { verifyAccess } from './connection.js';

export interface ReadArgs {
  config: readonly string[];
  catalog?: string;
  state?: string;
  /** Singer `--test` (one record per stream, no state) or `--test=schema` (schemas only, no request). */
  test?: 'all' | 'schema';
}

export async function readCommand(rt: Runtime, args: ReadArgs, signal?: AbortSignal): Promise<number> {
  const started = Date.now();
  const config = await loadConfig(args.config, rt.env, (message) => rt.logger.warn(message));
  rt.redactor.add(config.token);
  const selection: SelectedStream[] = args.catalog ? parseCatalog(await readJsonFile(args.catalog, 'catalog'), `catalog '${args.catalog}'`) : selectDefault();
  const knownStreams = new Set<string>(STREAM_NAMES);
  const state = args.state ? StateStore.parse(await readJsonFile(args.state, 'state'), knownStreams, `state '${args.state}'`) : new StateStore(knownStreams);
  if (selection.length === 0) rt.logger.warn('the catalog selects no stream: nothing to sync');

  const client = createClient(rt, config);
  const metrics = rt.protocol === 'singer' ? new SingerMetrics(rt.logger) : undefined;
  if (args.test !== 'schema' && selection.length > 0) {
    // A wrong token, organization or host is one line before anything starts, not a failure per endpoint.
    const access = await verifyAccess(client, config, { ...(signal ? { signal } : {}), onAttempt: (endpoint, notice) => metrics?.request(endpoint, notice) });
    if (access.problem !== undefined) throw new TapError(access.problem, access.failureType ?? 'config_error');
  }
  const progress = ProgressLine.forTerminal(rt.stderr);
  if (progress && rt.logger instanceof StderrLogger) rt.logger.clearLineFirst = true;
  const airbyteWriter = rt.protocol === 'airbyte' ? new AirbyteWriter(rt.out, rt.logger) : undefined;
  // The platform is told that a stream waiting on a rate limit is alive; the client logs the wait itself.
  const rateLimited = (stream: string, delayMs: number) => airbyteWriter?.rateLimited(stream, Date.now() + delayMs);
  const engine = new SyncEngine({
    config,
    streams: STREAMS,
    features: ORGANIZATION_FEATURES,
    unreadableTime,
    selection,
    state,
    schemas: new SchemaRegistry(streamValidators),
    fetch: (request) => {
      const options: RequestOptions = {
        signal: request.signal,
        accept: request.malformation,
        onRetry: (notice) => {
          if (notice.status === 429) rateLimited(request.stream, notice.delayMs);
        },
        onAttempt: (notice) => metrics?.request(request.endpoint, notice),
      };
      return request.url === undefined ? client.getJson(request.path, request.query, options) : client.getUrl(request.url, options);
    },
    ...(signal ? { signal } : {}),
    ...(args.test === 'all' ? { recordLimit: 1 } : {}),
    checkpointIntervalMs: config.checkpointIntervalMs,
  });

  for (const warning of engine.prepareBookmarks()) rt.logger.warn(warning);
  const writer = airbyteWriter ?? new SingerWriter(rt.out, rt.logger);
  if (args.test === 'schema') {
    for (const event of engine.schemaEvents()) await writer.write(event);
    return 0;
  }
  rt.logger.info(`syncing ${selection.map((s) => `${s.name} (${s.syncMode})`).join(', ') || 'nothing'} for ${config.organizations.join(', ')}`);

  try {
    for await (const batch of engine.run()) {
      for (const event of batch) {
        // A test run must not move bookmarks.
        if (event.kind === 'state' && args.test) continue;
        if (event.kind === 'status' && (event.status === 'COMPLETE' || event.status === 'INCOMPLETE')) metrics?.recordCount(event.stream, engine.summary.records.get(event.stream) ?? 0);
        // A promise only when stdout is full: then the whole sync waits for the reader.
        const waiting = writer.write(event);
        if (waiting) await waiting;
      }
      progress?.update({ ...engine.summary, records: [...engine.summary.records.values()].reduce((a, b) => a + b, 0) });
    }
  } finally {
    progress?.clear();
  }
  if (writer instanceof SingerWriter && !args.test) await writer.finish(state);

  const { records, failedStreams, skippedPartitions, interruption } = engine.summary;
  const usage = process.resourceUsage();
  const counts = selection.map((s) => `${s.name}=${records.get(s.name) ?? 0}`).join(' ');
  rt.logger.info(
    `sync ${interruption ? 'interrupted' : failedStreams.size > 0 ? 'finished with failures' : 'complete'}: records ${counts}; requests ${client.stats.requests}, retries ${client.stats.retries}, ` +
      `rate-limit waits ${(client.stats.rateLimitWaitMs / 1000).toFixed(1)} s, ` +
      `stacks skipped as unchanged ${skippedPartitions}; ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
      `cpu ${(usage.userCPUTime / 1e6).toFixed(2)} s user + ${(usage.systemCPUTime / 1e6).toFixed(2)} s system, peak rss ${(usage.maxRSS / 1024).toFixed(0)} MB`,
  );
  const memory = process.memoryUsage();
  rt.logger.debug(`memory: heap ${(memory.heapUsed / 2 ** 20).toFixed(0)} of ${(memory.heapTotal / 2 ** 20).toFixed(0)} MB, external ${(memory.external / 2 ** 20).toFixed(0)} MB, array buffers ${(memory.arrayBuffers / 2 ** 20).toFixed(0)} MB, rss ${(memory.rss / 2 ** 20).toFixed(0)} MB`);
  if (interruption) rt.logger.error(interruption.message);
  if (failedStreams.size > 0) {
    rt.logger.error(`streams that did not sync completely: ${[...failedStreams].join(', ')}`);
    return 1;
  }
  return 0;
}

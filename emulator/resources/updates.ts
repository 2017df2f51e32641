// Stack update history: GET /api/stacks/{org}/{project}/{stack}/updates, newest first, in the legacy
// shape (UpdateInfo, all of it) or the service shape (`output-type=service`, page/pageSize); and
// updates started or finished at run time.
import { Rng, type EmulatorModel } from '../data.js';
import { numberedPage } from '../paging.js';
import { HttpError, knownOrg, ok, route, type Route } from '../routing.js';
import { findStack, requireStack } from './stacks.js';
import { deriveUpdate, storedHistory, updatesNewestFirst, type EmulatedUpdate, type UpdateResult } from './update-history.js';

/** Page size of the updates endpoint when `page` is given without `pageSize`. */
export const UPDATES_DEFAULT_PAGE_SIZE = 10;

export const updateRoutes: Route[] = [
  route('GET', '/api/stacks/:org/:project/:stack/updates', (params, query, { model }) => {
    const org = knownOrg(model, params.org);
    const stack = findStack(org, params.project, params.stack);
    if (!stack) throw new HttpError(404, `Not Found: Stack '${params.org}/${params.project}/${params.stack}' not found`);
    const total = stack.updateCount;
    if (query['output-type'] !== 'service') {
      return ok({ updates: updatesNewestFirst(org, stack, 0, total).map((u) => u.info) });
    }
    const window = numberedPage(query, { defaultSize: UPDATES_DEFAULT_PAGE_SIZE, maxSize: model.options.updatesMaxPageSize });
    // As the service: no paging parameters means the whole history.
    if (!window) return ok({ updates: updatesNewestFirst(org, stack, 0, total), itemsPerPage: total, total });
    const updates = window.offset >= total ? [] : updatesNewestFirst(org, stack, window.offset, window.pageSize);
    return ok({ updates, itemsPerPage: window.pageSize, total });
  }),
];

/** Appends a newest update (started now, or at `startTime`) and moves the stack's lastUpdate to its start. */
export function addUpdate(
  model: EmulatorModel,
  orgName: string,
  project: string,
  stackName: string,
  opts: { result?: UpdateResult; kind?: string; startTime?: number } = {},
): EmulatedUpdate {
  const { org, stack } = requireStack(model, orgName, project, stackName);
  const history = storedHistory(org, stack);
  const version = stack.updateCount + 1;
  let startTime: number;
  if (opts.startTime === undefined) {
    startTime = model.tick();
  } else {
    startTime = opts.startTime;
    model.advanceClockTo(startTime);
  }
  const result = opts.result ?? 'succeeded';
  const finished = result === 'succeeded' || result === 'failed';
  const rng = Rng.of(stack.seed, 'added', version);
  const template = deriveUpdate(org, stack, version, startTime);
  const update: EmulatedUpdate = {
    ...template,
    info: {
      ...template.info,
      kind: opts.kind ?? 'update',
      startTime,
      endTime: finished ? startTime + rng.int(5, 600) : 0,
      result,
    },
  };
  if (!finished) {
    delete update.info.resourceChanges;
    delete update.info.resourceCount;
  }
  history.push(update);
  stack.updateCount = version;
  for (const item of history) item.latestVersion = version;
  stack.summary.lastUpdate = startTime;
  if (update.info.resourceCount !== undefined) stack.summary.resourceCount = update.info.resourceCount;
  return structuredClone(update);
}

export function finishUpdate(
  model: EmulatorModel,
  orgName: string,
  project: string,
  stackName: string,
  version: number,
  result: 'succeeded' | 'failed' = 'succeeded',
): void {
  const { org, stack } = requireStack(model, orgName, project, stackName);
  const update = storedHistory(org, stack)[version - 1];
  if (!update) throw new RangeError(`stack ${orgName}/${project}/${stackName} has no update version ${version}`);
  update.info.result = result;
  update.info.endTime = Math.max(model.tick(), update.info.startTime + 1);
  // lastUpdate is the start of the newest update, so finishing one leaves it alone.
}

// Resource search: GET /api/orgs/{org}/search/resourcesv2, every resource of the org's stacks plus
// resources Insights discovered in cloud accounts (no project or stack), newest `modified` first
// (the service's order without a query). Pages are numbered (`page` from 1, `size` per page,
// default 50) and each names the next one by a full URL on the emulator's own origin, in
// `pagination.next`. Numbered pages reach only the first 10,000 results, as documented: no page
// past them is named, and one asked for is refused (the service wants a cursor there, Enterprise only).
import { CLOCK_START, Rng, rfc3339, type Org, type OrgData } from '../data.js';
import { positiveInt } from '../paging.js';
import { HttpError, knownOrg, ok, route, type HandlerContext, type Route } from '../routing.js';
import { stacksData } from './stacks.js';

export interface EmulatedResource {
  urn: string;
  type: string;
  name: string;
  id?: string;
  package: string;
  module: string;
  project?: string;
  stack?: string;
  /** The parent's and provider's URNs: under these names in most answers... */
  parent_urn?: string;
  provider_urn?: string;
  /** ...and under the dotted names of the v1 shape and the v2 documentation's example in some. */
  'parent.urn'?: string;
  'provider.urn'?: string;
  created?: string;
  modified: string;
  custom: boolean;
  delete: boolean;
  protected: boolean;
  external: boolean;
  dependencies: string[];
  teams?: string[];
  category?: string;
  managed: 'managed' | 'discovered';
  account?: string;
  sourceCount: number;
}

export const RESOURCE_SEARCH_DEFAULT_SIZE = 50;
/** Numbered pages stop here (DOCS: `page` covers the first 10,000 results). */
export const RESOURCE_SEARCH_PAGE_LIMIT = 10_000;

const TYPES = [
  { type: 'aws:s3/bucket:Bucket', category: 'storage' },
  { type: 'aws:ec2/instance:Instance', category: 'compute' },
  { type: 'aws:rds/instance:Instance', category: 'data' },
  { type: 'aws:iam/role:Role', category: 'security' },
  { type: 'aws:lambda/function:Function', category: 'compute' },
] as const;
const ACCOUNTS = ['aws-prod', 'aws-dev'];

/** `aws:s3/bucket:Bucket` → package `aws`, module `s3`. */
function packageAndModule(type: string): { package: string; module: string } {
  const [pkg = '', modulePath = ''] = type.split(':');
  return { package: pkg, module: modulePath.split('/')[0] ?? '' };
}

function stackResources(rng: Rng, project: string, stack: string, count: number): EmulatedResource[] {
  const prefix = `urn:pulumi:${stack}::${project}`;
  const stackUrn = `${prefix}::pulumi:pulumi:Stack::${project}-${stack}`;
  const providerUrn = `${prefix}::pulumi:providers:aws::default`;
  const modified = () => rfc3339(CLOCK_START - rng.int(60, 300 * 86_400));
  const common = { project, stack, custom: true, delete: false, external: false, managed: 'managed' as const, sourceCount: 1 };
  const out: EmulatedResource[] = [
    { ...common, urn: stackUrn, type: 'pulumi:pulumi:Stack', name: `${project}-${stack}`, package: 'pulumi', module: 'pulumi', custom: false, protected: false, dependencies: [], modified: modified() },
    { ...common, urn: providerUrn, type: 'pulumi:providers:aws', name: 'default', id: rng.uuid(), package: 'pulumi', module: 'providers', protected: false, dependencies: [], modified: modified() },
  ];
  for (let i = 0; i < count; i++) {
    const shape = rng.pick(TYPES);
    const name = `${shape.type.split(':').at(-1)?.toLowerCase() ?? 'r'}-${i}`;
    const resource: EmulatedResource = {
      ...common,
      urn: `${prefix}::${shape.type}::${name}`,
      type: shape.type,
      name,
      id: `${name}-${rng.hex(8)}`,
      ...packageAndModule(shape.type),
      protected: rng.chance(0.1),
      dependencies: rng.chance(0.3) ? [providerUrn] : [],
      category: shape.category,
      modified: modified(),
    };
    if (rng.chance(0.8)) resource.created = rfc3339(CLOCK_START - rng.int(300 * 86_400, 600 * 86_400));
    if (rng.chance(0.3)) resource.teams = ['platform'];
    // One resource in five comes in the dotted shape.
    if (rng.chance(0.2)) {
      resource['parent.urn'] = stackUrn;
      resource['provider.urn'] = providerUrn;
    } else {
      resource.parent_urn = stackUrn;
      resource.provider_urn = providerUrn;
    }
    out.push(resource);
  }
  return out;
}

/** A resource found by an Insights scan. How the service forms such a URN is not documented: this form is made up. */
function discoveredResource(rng: Rng, index: number): EmulatedResource {
  const shape = rng.pick(TYPES);
  const account = rng.pick(ACCOUNTS);
  const id = `${shape.type.split(':').at(-1)?.toLowerCase() ?? 'r'}-${index}-${rng.hex(6)}`;
  return {
    urn: `urn:pulumi:${account}::insights::${shape.type}::${id}`,
    type: shape.type,
    name: id,
    id,
    ...packageAndModule(shape.type),
    modified: rfc3339(CLOCK_START - rng.int(60, 60 * 86_400)),
    custom: true,
    delete: false,
    protected: false,
    external: true,
    dependencies: [],
    category: shape.category,
    managed: 'discovered',
    account,
    sourceCount: 1,
  };
}

export const resourceSearchData: OrgData<EmulatedResource[]> = {
  name: 'resource-search',
  generate(org, model) {
    const rng = Rng.of(org.seed, 'resource-search');
    const resources = org.get(stacksData).list.flatMap((s) => stackResources(rng, s.summary.projectName, s.summary.stackName, rng.int(0, 6)));
    for (let i = 0; i < model.options.discoveredResourcesPerOrg; i++) resources.push(discoveredResource(rng, i));
    // Newest modified first; the URN breaks ties, so the order is total and pages never overlap.
    return resources.sort((a, b) => b.modified.localeCompare(a.modified) || a.urn.localeCompare(b.urn));
  },
};

/** The page `page` of the listing, as a URL on the origin the request came to, with the request's other parameters. */
function pageUrl(org: Org, query: Readonly<Record<string, string>>, page: number, ctx: HandlerContext): string {
  const params = new URLSearchParams({ ...query, page: String(page) });
  const host = ctx.request.headers.host;
  const origin = host === undefined ? '' : `http://${host}`;
  return `${origin}/api/orgs/${encodeURIComponent(org.name)}/search/resourcesv2?${params.toString()}`;
}

export const resourceSearchRoutes: Route[] = [
  route('GET', '/api/orgs/:org/search/resourcesv2', (params, query, ctx) => {
    const org = knownOrg(ctx.model, params.org);
    const page = positiveInt(query['page'], 'page') ?? 1;
    const size = positiveInt(query['size'], 'size') ?? RESOURCE_SEARCH_DEFAULT_SIZE;
    const offset = (page - 1) * size;
    if (offset >= RESOURCE_SEARCH_PAGE_LIMIT) throw new HttpError(400, `Bad Request: page ${page} is past the first ${RESOURCE_SEARCH_PAGE_LIMIT} results; use a cursor`);
    const all = org.get(resourceSearchData);
    // A page never reaches past the limit either.
    const end = Math.min(offset + size, all.length, RESOURCE_SEARCH_PAGE_LIMIT);
    const pagination: { previous?: string; next?: string } = {};
    if (page > 1) pagination.previous = pageUrl(org, query, page - 1, ctx);
    if (end < Math.min(all.length, RESOURCE_SEARCH_PAGE_LIMIT)) pagination.next = pageUrl(org, query, page + 1, ctx);
    return ok({ total: all.length, resources: all.slice(offset, end), pagination });
  }),
];

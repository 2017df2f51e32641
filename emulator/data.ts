// Deterministic in-memory model of a Pulumi Cloud account, shaped like the real API's JSON.
// Stack update histories are derived on demand from (seed, org, stack, version) so that very
// large models cost almost nothing until a stack is mutated; only then is its history stored.

export type UpdateResult = 'not-started' | 'in-progress' | 'succeeded' | 'failed';

export interface EmulatedStack {
  id: string;
  orgName: string;
  projectName: string;
  stackName: string;
  lastUpdate?: number;
  resourceCount?: number;
  links?: { self: string };
}

export interface EmulatedConfigValue {
  string: string;
  secret: boolean;
  object: boolean;
}

export interface EmulatedUpdateInfo {
  kind: string;
  startTime: number;
  endTime: number;
  result: UpdateResult;
  message: string;
  environment: Record<string, string>;
  config: Record<string, EmulatedConfigValue>;
  version: number;
  resourceChanges?: Record<string, number>;
  resourceCount?: number;
}

export interface EmulatedUserInfo {
  name: string;
  githubLogin: string;
  avatarUrl: string;
  email?: string;
}

export interface EmulatedGithubCommitInfo {
  slug: string;
  sha: string;
  url: string;
  message?: string;
  author?: EmulatedUserInfo;
  committer?: EmulatedUserInfo;
}

export interface EmulatedPolicyPack {
  name: string;
  displayName: string;
  version: number;
  versionTag: string;
  config?: Record<string, unknown>;
}

/** One element of the service-shape (`output-type=service`) update list. */
export interface EmulatedUpdate {
  info: EmulatedUpdateInfo;
  updateID: string;
  version: number;
  latestVersion: number;
  requestedBy: EmulatedUserInfo;
  githubCommitInfo?: EmulatedGithubCommitInfo;
  policyPacks?: EmulatedPolicyPack[];
  requestedByToken?: string;
}

export type MemberRole = 'none' | 'member' | 'admin' | 'potential-member' | 'stack-collaborator' | 'billing-manager';

export interface EmulatedMember {
  role: MemberRole;
  user: EmulatedUserInfo;
  created: string;
  knownToPulumi: boolean;
  virtualAdmin: boolean;
  links?: { self: string };
  fgaRole?: { id: string; name: string; modifiedAt: string };
}

export interface EmulatedTeam {
  kind: 'pulumi' | 'github' | 'scim';
  name: string;
  displayName: string;
  description: string;
  members?: Array<{ name: string; githubLogin: string; avatarUrl: string; role: string }>;
  stacks?: Array<{ projectName: string; stackName: string; permission: 0 | 101 | 102 | 103 }>;
  environments?: Array<{ projectName: string; envName: string; permission: string }>;
  userRole?: string;
  roleIds?: string[];
}

export interface EmulatedUser {
  id: string;
  githubLogin: string;
  name: string;
  email: string;
  avatarUrl: string;
  organizations: Array<{ name: string; githubLogin: string; avatarUrl: string; role: string }>;
  identities: string[];
  tokenInfo?: { name: string; organization?: string; team?: string };
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Stable 32-bit hash of a list of keys (FNV-1a over their text, then a finaliser). */
export function hashKeys(...parts: Array<string | number>): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const text = String(part);
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0x1f; // separator, so ('ab','c') and ('a','bc') differ
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** mulberry32: tiny, fast and good enough for test data. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  static of(...parts: Array<string | number>): Rng {
    return new Rng(hashKeys(...parts));
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  /** Picks by weight: `[[value, weight], ...]`. */
  weighted<T>(choices: ReadonlyArray<readonly [T, number]>): T {
    let total = 0;
    for (const [, w] of choices) total += w;
    let r = this.next() * total;
    for (const [value, w] of choices) {
      r -= w;
      if (r < 0) return value;
    }
    const last = choices[choices.length - 1];
    if (last === undefined) throw new RangeError('weighted pick from an empty list');
    return last[0];
  }

  hex(length: number): string {
    let out = '';
    while (out.length < length) out += Math.floor(this.next() * 0x100000000).toString(16).padStart(8, '0');
    return out.slice(0, length);
  }

  uuid(): string {
    const h = this.hex(32);
    const variant = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  base64(bytes: number): string {
    const buf = Buffer.alloc(bytes);
    for (let i = 0; i < bytes; i++) buf[i] = Math.floor(this.next() * 256);
    return buf.toString('base64');
  }
}

// ---------------------------------------------------------------------------------------------
// Model

export interface ModelOptions {
  orgs: string[];
  stacksPerOrg: number;
  updatesPerStack: number;
  membersPerOrg: number;
  teamsPerOrg: number;
  seed: number;
  orgsWithoutTeams: string[];
  /** Share of stacks whose newest update is still running (besides one per org). */
  runningShare: number;
}

export interface StackModel {
  summary: EmulatedStack;
  seed: number;
  /** Newest version; versions are always 1..updateCount. */
  updateCount: number;
  firstStart: number;
  step: number;
  newestInProgress: boolean;
  /** Present once the stack was mutated: its whole history, oldest first. */
  stored?: EmulatedUpdate[];
}

export interface OrgModel {
  name: string;
  seed: number;
  stacks: StackModel[];
  stackByKey: Map<string, StackModel>;
  members: EmulatedMember[];
  teams: EmulatedTeam[];
  teamsAvailable: boolean;
}

const FIRST_NAMES = ['Ada', 'Grace', 'Linus', 'Alan', 'Barbara', 'Ken', 'Margaret', 'Dennis', 'Radia', 'Edsger', 'Frances', 'Joan', 'Guido', 'Hedy', 'Niklaus', 'Sophie'];
const LAST_NAMES = ['Lovelace', 'Hopper', 'Torvalds', 'Turing', 'Liskov', 'Thompson', 'Hamilton', 'Ritchie', 'Perlman', 'Dijkstra', 'Allen', 'Clarke', 'van Rossum', 'Lamarr', 'Wirth', 'Wilson'];
const STACK_NAMES = ['dev', 'prod', 'staging', 'qa', 'test'];
const TEAM_NAMES = ['platform', 'developers', 'sre', 'data-eng', 'security', 'qa', 'frontend', 'backend'];
const MESSAGES = [
  'Bump instance size',
  'Add monitoring dashboards',
  'Fix security group rules',
  'Rotate database credentials',
  'Refactor networking component',
  'Merge pull request #412 from feature/cache',
  'Enable bucket versioning',
  '',
];
const KINDS: ReadonlyArray<readonly [string, number]> = [
  ['update', 55],
  ['preview', 25],
  ['refresh', 12],
  ['destroy', 5],
  ['import', 3],
];
const ROLES: ReadonlyArray<readonly [MemberRole, number]> = [
  ['member', 60],
  ['admin', 15],
  ['stack-collaborator', 10],
  ['billing-manager', 5],
  ['potential-member', 5],
  ['none', 5],
];
const PERMISSIONS = [0, 101, 102, 103] as const;

/** Later than every generated start time, so mutations always move forward in time. */
const CLOCK_START = 1_750_000_000;
const FIRST_START_MIN = 1_700_000_000;
const FIRST_START_SPREAD = 20_000_000;
const HISTORY_SPAN = 25_000_000;
const BOT_USER: EmulatedUserInfo = {
  name: 'Pulumi Deployments',
  githubLogin: 'pulumi-deployments-bot',
  avatarUrl: 'https://avatars.example.com/u/pulumi-deployments-bot',
};

function rfc3339(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function stackKey(project: string, stack: string): string {
  return `${project}\u0000${stack}`;
}

function projectName(index: number): string {
  // Every third project has a dot in its name, to exercise path encoding in clients.
  return index % 3 === 1 ? `proj.svc-${index}` : `proj-${index}`;
}

function userInfo(member: EmulatedMember): EmulatedUserInfo {
  return { ...member.user };
}

export class EmulatorModel {
  readonly options: ModelOptions;
  private readonly orgs = new Map<string, OrgModel>();
  private clock = CLOCK_START;
  private addedStacks = 0;

  constructor(options: ModelOptions) {
    this.options = options;
    const withoutTeams = new Set(options.orgsWithoutTeams);
    for (const name of options.orgs) {
      this.orgs.set(name, this.generateOrg(name, !withoutTeams.has(name)));
    }
  }

  orgNames(): string[] {
    return [...this.orgs.keys()];
  }

  org(name: string): OrgModel | undefined {
    return this.orgs.get(name);
  }

  stack(org: string, project: string, stack: string): StackModel | undefined {
    return this.orgs.get(org)?.stackByKey.get(stackKey(project, stack));
  }

  user(): EmulatedUser {
    return {
      id: Rng.of(this.options.seed, 'user').uuid(),
      githubLogin: 'emulator-user',
      name: 'Emulator User',
      email: 'emulator-user@example.com',
      avatarUrl: 'https://avatars.example.com/u/emulator-user',
      organizations: this.orgNames().map((name) => ({
        name,
        githubLogin: name,
        avatarUrl: `https://avatars.example.com/o/${name}`,
        role: 'admin',
      })),
      identities: ['github'],
      tokenInfo: { name: 'emulator-token' },
    };
  }

  /** Service-shape elements, newest first, starting `offset` items after the newest. */
  updatesNewestFirst(org: OrgModel, stack: StackModel, offset: number, limit: number): EmulatedUpdate[] {
    const out: EmulatedUpdate[] = [];
    const first = stack.updateCount - offset;
    const last = Math.max(1, first - limit + 1);
    for (let version = first; version >= last; version--) out.push(this.updateAt(org, stack, version));
    return out;
  }

  updateAt(org: OrgModel, stack: StackModel, version: number): EmulatedUpdate {
    const stored = stack.stored?.[version - 1];
    if (stored) return stored;
    return this.deriveUpdate(org, stack, version);
  }

  // ----- mutations -----

  addUpdate(
    orgName: string,
    project: string,
    stackName: string,
    opts: { result?: UpdateResult; kind?: string; startTime?: number } = {},
  ): EmulatedUpdate {
    const { org, stack } = this.require(orgName, project, stackName);
    const history = this.materialise(org, stack);
    const version = stack.updateCount + 1;
    let startTime: number;
    if (opts.startTime === undefined) {
      startTime = this.tick();
    } else {
      startTime = opts.startTime;
      this.clock = Math.max(this.clock, startTime);
    }
    const result = opts.result ?? 'succeeded';
    const finished = result === 'succeeded' || result === 'failed';
    const rng = Rng.of(stack.seed, 'added', version);
    const template = this.deriveUpdate(org, stack, version, startTime);
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

  finishUpdate(orgName: string, project: string, stackName: string, version: number, result: 'succeeded' | 'failed' = 'succeeded'): void {
    const { org, stack } = this.require(orgName, project, stackName);
    const history = this.materialise(org, stack);
    const update = history[version - 1];
    if (!update) throw new RangeError(`stack ${orgName}/${project}/${stackName} has no update version ${version}`);
    update.info.result = result;
    update.info.endTime = Math.max(this.tick(), update.info.startTime + 1);
    // lastUpdate is the start of the newest update, so finishing one leaves it alone.
  }

  addStack(orgName: string, project: string, stackName: string): EmulatedStack {
    const org = this.orgs.get(orgName);
    if (!org) throw new RangeError(`unknown organization '${orgName}'`);
    const key = stackKey(project, stackName);
    if (org.stackByKey.has(key)) throw new RangeError(`stack ${orgName}/${project}/${stackName} already exists`);
    this.addedStacks++;
    const rng = Rng.of(this.options.seed, 'added-stack', this.addedStacks);
    const stack: StackModel = {
      summary: {
        id: rng.uuid(),
        orgName,
        projectName: project,
        stackName,
        links: { self: stackLink(orgName, project, stackName) },
      },
      seed: rng.int(0, 0xffffffff),
      updateCount: 0,
      firstStart: this.clock,
      step: 3600,
      newestInProgress: false,
      stored: [],
    };
    org.stacks.push(stack);
    org.stackByKey.set(key, stack);
    return { ...stack.summary };
  }

  private tick(): number {
    // Changes made during a test happen now, as on the real service; the clock never goes back.
    this.clock = Math.max(this.clock + 60, Math.floor(Date.now() / 1000));
    return this.clock;
  }

  private require(orgName: string, project: string, stackName: string): { org: OrgModel; stack: StackModel } {
    const org = this.orgs.get(orgName);
    if (!org) throw new RangeError(`unknown organization '${orgName}'`);
    const stack = org.stackByKey.get(stackKey(project, stackName));
    if (!stack) throw new RangeError(`unknown stack ${orgName}/${project}/${stackName}`);
    return { org, stack };
  }

  private materialise(org: OrgModel, stack: StackModel): EmulatedUpdate[] {
    if (!stack.stored) {
      const history: EmulatedUpdate[] = [];
      for (let v = 1; v <= stack.updateCount; v++) history.push(this.deriveUpdate(org, stack, v));
      stack.stored = history;
    }
    return stack.stored;
  }

  // ----- generation -----

  private generateOrg(name: string, teamsAvailable: boolean): OrgModel {
    const seed = hashKeys(this.options.seed, 'org', name);
    const org: OrgModel = {
      name,
      seed,
      stacks: [],
      stackByKey: new Map(),
      members: this.generateMembers(name, seed),
      teams: [],
      teamsAvailable,
    };
    const { stacksPerOrg } = this.options;
    const rng = Rng.of(seed, 'stacks');
    const projectCount = Math.max(1, Math.min(stacksPerOrg, Math.max(3, Math.ceil(stacksPerOrg / 5))));
    const generated: StackModel[] = [];
    for (let i = 0; i < stacksPerOrg; i++) {
      const project = projectName(rng.int(0, projectCount - 1));
      let stackName = STACK_NAMES.find((s) => !org.stackByKey.has(stackKey(project, s))) ?? `stack-${i}`;
      if (org.stackByKey.has(stackKey(project, stackName))) stackName = `stack-${i}-${rng.hex(4)}`;
      const stack = this.generateStack(org, project, stackName, i, rng);
      generated.push(stack);
      org.stackByKey.set(stackKey(project, stackName), stack);
    }
    // The service's order is stable but unrelated to lastUpdate: shuffle the generation order.
    for (let i = generated.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      const a = generated[i];
      const b = generated[j];
      if (a && b) {
        generated[i] = b;
        generated[j] = a;
      }
    }
    org.stacks = generated;
    org.teams = this.generateTeams(org);
    return org;
  }

  private generateStack(orgModel: OrgModel, project: string, stackName: string, index: number, rng: Rng): StackModel {
    const org = orgModel.name;
    const n = this.options.updatesPerStack;
    let count: number;
    const r = rng.next();
    if (n === 0) count = 0;
    else if (index === 0) count = n; // at least one full-length history per org
    else if (index === 1) count = 0; // and one stack that was never updated
    else if (r < 0.06) count = 0;
    else if (r < 0.18) count = rng.int(1, Math.max(1, Math.floor(n / 3)));
    else count = rng.int(Math.ceil(n * 0.6), n);
    if (index === 2 && n > 0) count = Math.max(count, 1);
    const newestInProgress = count > 0 && (index === 2 || rng.chance(this.options.runningShare));
    const firstStart = FIRST_START_MIN + rng.int(0, FIRST_START_SPREAD);
    const step = count > 0 ? Math.max(4, Math.min(rng.int(3600, 259_200), Math.floor(HISTORY_SPAN / count))) : 3600;
    const id = rng.uuid();
    const seed = rng.int(0, 0xffffffff);
    const stack: StackModel = {
      summary: { id, orgName: org, projectName: project, stackName },
      seed,
      updateCount: count,
      firstStart,
      step,
      newestInProgress,
    };
    // Built in the API's key order; a never-updated stack has neither lastUpdate nor resourceCount.
    stack.summary = {
      id,
      orgName: org,
      projectName: project,
      stackName,
      ...(count > 0 ? { lastUpdate: this.startTimeOf(stack, count), resourceCount: rng.int(1, 400) } : {}),
      links: { self: stackLink(org, project, stackName) },
    };
    if (count > 0) {
      // Match the newest update's resource count where it reports one.
      const newest = this.deriveUpdate(orgModel, stack, count).info.resourceCount;
      if (newest !== undefined) stack.summary.resourceCount = newest;
    }
    return stack;
  }

  private startTimeOf(stack: StackModel, version: number): number {
    const jitter = Math.floor(Rng.of(stack.seed, 'start', version).next() * Math.floor(stack.step / 2));
    return stack.firstStart + (version - 1) * stack.step + jitter;
  }

  private deriveUpdate(org: OrgModel, stack: StackModel, version: number, startOverride?: number): EmulatedUpdate {
    const rng = Rng.of(stack.seed, 'update', version);
    const project = stack.summary.projectName;
    const startTime = startOverride ?? this.startTimeOf(stack, version);
    const inProgress = stack.newestInProgress && version === stack.updateCount;
    const kind = rng.weighted(KINDS);
    const result: UpdateResult = inProgress ? 'in-progress' : rng.chance(0.12) ? 'failed' : 'succeeded';
    const maxDuration = Math.max(1, Math.min(1800, Math.floor(stack.step / 2) - 1));
    const endTime = inProgress ? 0 : startTime + rng.int(1, maxDuration);
    const sha = rng.hex(40);
    const message = rng.pick(MESSAGES);
    const member = org.members.length > 0 && !rng.chance(0.1) ? rng.pick(org.members) : undefined;
    const requestedBy = member ? userInfo(member) : { ...BOT_USER };

    const environment: Record<string, string> = {
      'exec.kind': 'cli',
      'git.head': sha,
      'git.headName': rng.chance(0.8) ? 'refs/heads/main' : `refs/heads/feature-${rng.int(1, 999)}`,
      'git.author': requestedBy.name,
      'vcs.kind': 'github.com',
      'vcs.owner': org.name,
      'vcs.repo': project,
    };
    if (requestedBy.email) environment['git.author.email'] = requestedBy.email;
    if (rng.chance(0.4)) {
      environment['ci.system'] = 'GitHub';
      environment['github.actor'] = requestedBy.githubLogin;
    }

    const config: Record<string, EmulatedConfigValue> = {
      [`${project}:region`]: { string: rng.pick(['us-west-2', 'eu-central-1', 'ap-southeast-1']), secret: false, object: false },
    };
    if (rng.chance(0.7)) config[`${project}:password`] = { string: `v1:${rng.base64(24)}`, secret: true, object: false };
    if (rng.chance(0.3)) config[`${project}:tags`] = { string: JSON.stringify({ team: rng.pick(TEAM_NAMES) }), secret: false, object: true };

    const info: EmulatedUpdateInfo = { kind, startTime, endTime, result, message, environment, config, version };
    if (!inProgress && rng.chance(0.85)) {
      const changes: Record<string, number> = { same: rng.int(0, 200) };
      if (version === 1 || rng.chance(0.5)) changes['create'] = rng.int(1, 30);
      if (rng.chance(0.3)) changes['update'] = rng.int(1, 10);
      if (rng.chance(0.15)) changes['delete'] = rng.int(1, 5);
      if (rng.chance(0.1)) changes['create-replacement'] = rng.int(1, 3);
      info.resourceChanges = changes;
    }
    if (!inProgress && rng.chance(0.8)) info.resourceCount = rng.int(1, 400);

    const update: EmulatedUpdate = {
      info,
      updateID: rng.uuid(),
      version,
      latestVersion: stack.updateCount,
      requestedBy,
    };
    if (rng.chance(0.6)) {
      const commit: EmulatedGithubCommitInfo = {
        slug: `${org.name}/${project}`,
        sha,
        url: `https://github.com/${org.name}/${project}/commit/${sha}`,
      };
      if (message) commit.message = message;
      commit.author = { ...requestedBy };
      if (rng.chance(0.5)) commit.committer = { ...requestedBy };
      update.githubCommitInfo = commit;
    }
    if (rng.chance(0.3)) {
      const pack: EmulatedPolicyPack = { name: 'aws-compliance-ready', displayName: 'AWS Compliance Ready', version: 2, versionTag: '0.1.2' };
      if (rng.chance(0.5)) pack.config = { all: { enforcementLevel: 'advisory' } };
      update.policyPacks = [pack];
    }
    if (rng.chance(0.15)) update.requestedByToken = `pul-${rng.hex(40)}`;
    return update;
  }

  private generateMembers(org: string, orgSeed: number): EmulatedMember[] {
    const rng = Rng.of(orgSeed, 'members');
    const members: EmulatedMember[] = [];
    const logins = new Set<string>();
    let firstName = '';
    for (let i = 0; i < this.options.membersPerOrg; i++) {
      // Member 1 repeats member 0's display name: display names are not unique.
      const name = i === 1 ? firstName : `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
      if (i === 0) firstName = name;
      const base = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
      const login = logins.has(base) ? `${base}-${i}` : base;
      logins.add(login);
      const role: MemberRole = i === 0 ? 'admin' : rng.weighted(ROLES);
      const user: EmulatedUserInfo = { name, githubLogin: login, avatarUrl: `https://avatars.example.com/u/${login}` };
      if (rng.chance(0.8)) user.email = `${login}@example.com`;
      const created = 1_600_000_000 + rng.int(0, 90_000_000);
      const member: EmulatedMember = {
        role,
        user,
        created: rfc3339(created),
        knownToPulumi: role !== 'potential-member',
        virtualAdmin: i === 3,
        links: { self: `https://api.pulumi.com/api/orgs/${org}/members/${login}` },
      };
      if (rng.chance(0.5)) {
        member.fgaRole = { id: rng.uuid(), name: role === 'admin' ? 'Admin' : 'Member', modifiedAt: rfc3339(created + rng.int(0, 5_000_000)) };
      }
      members.push(member);
    }
    return members;
  }

  private generateTeams(org: OrgModel): EmulatedTeam[] {
    const rng = Rng.of(org.seed, 'teams');
    const teams: EmulatedTeam[] = [];
    const kinds = ['pulumi', 'github', 'scim'] as const;
    for (let i = 0; i < this.options.teamsPerOrg; i++) {
      const name = TEAM_NAMES[i] ?? `team-${i}`;
      const team: EmulatedTeam = {
        kind: kinds[i % kinds.length] ?? 'pulumi',
        name,
        displayName: name.replace(/(^|-)([a-z])/g, (_m, sep: string, c: string) => (sep ? ' ' : '') + c.toUpperCase()),
        description: rng.chance(0.7) ? `The ${name} team` : '',
      };
      if (org.members.length > 0 && !rng.chance(0.15)) {
        team.members = org.members
          .filter(() => rng.chance(0.5))
          .map((m) => ({ name: m.user.name, githubLogin: m.user.githubLogin, avatarUrl: m.user.avatarUrl, role: rng.chance(0.2) ? 'admin' : 'member' }));
      }
      if (org.stacks.length > 0 && rng.chance(0.8)) {
        const picked = new Set<StackModel>();
        const want = rng.int(1, Math.min(5, org.stacks.length));
        for (let k = 0; k < want; k++) picked.add(rng.pick(org.stacks));
        team.stacks = [...picked].map((s) => ({ projectName: s.summary.projectName, stackName: s.summary.stackName, permission: rng.pick(PERMISSIONS) }));
      }
      if (rng.chance(0.5)) team.environments = [{ projectName: 'default', envName: rng.pick(STACK_NAMES), permission: rng.pick(['read', 'open', 'write', 'admin']) }];
      if (rng.chance(0.6)) team.userRole = rng.pick(['admin', 'member', 'none']);
      if (rng.chance(0.4)) team.roleIds = [rng.uuid()];
      teams.push(team);
    }
    return teams;
  }
}

function stackLink(org: string, project: string, stack: string): string {
  return `https://app.pulumi.com/${encodeURIComponent(org)}/${encodeURIComponent(project)}/${encodeURIComponent(stack)}`;
}

// Every emulated endpoint: the route table, and the data each resource generates per organization.
//
// To add an endpoint, write one module here with its response shapes, its OrgData (drawn from its
// own `Rng.of(org.seed, name)` stream, so no other resource's data changes) and its routes (paged
// with ../paging.ts), then list both below.
import type { OrgData } from '../data.js';
import type { Route } from '../routing.js';
import { auditLogRoutes, auditLogsData } from './audit-logs.js';
import { deploymentRoutes, deploymentsData } from './deployments.js';
import { revisionRoutes, revisionsData } from './environment-revisions.js';
import { environmentRoutes, environmentsData } from './environments.js';
import { memberRoutes, membersData } from './members.js';
import { stackRoutes, stacksData } from './stacks.js';
import { teamRoutes, teamsData } from './teams.js';
import { updateRoutes } from './updates.js';
import { userRoutes } from './user.js';

/** The first route that matches answers: list a literal segment (…/schedules) before a parameter in its place (…/:id). */
export const ROUTES: readonly Route[] = [
  ...userRoutes,
  ...stackRoutes,
  ...updateRoutes,
  ...memberRoutes,
  ...teamRoutes,
  ...environmentRoutes,
  ...revisionRoutes,
  ...deploymentRoutes,
  ...auditLogRoutes,
];

/** Generated for every org when the emulator starts, before any mutation can change what it is drawn from. */
export const ORG_DATA: ReadonlyArray<OrgData<unknown>> = [membersData, stacksData, teamsData, environmentsData, revisionsData, deploymentsData, auditLogsData];

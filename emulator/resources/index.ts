// Every emulated endpoint: the route table, and the data each resource generates per organization.
import type { OrgData } from '../data.js';
import type { Route } from '../routing.js';
import { memberRoutes, membersData } from './members.js';
import { stackRoutes, stacksData } from './stacks.js';
import { teamRoutes, teamsData } from './teams.js';
import { updateRoutes } from './updates.js';
import { userRoutes } from './user.js';

export const ROUTES: readonly Route[] = [...userRoutes, ...stackRoutes, ...updateRoutes, ...memberRoutes, ...teamRoutes];

/** Generated for every org when the emulator starts, before any mutation can change what it is drawn from. */
export const ORG_DATA: ReadonlyArray<OrgData<unknown>> = [membersData, stacksData, teamsData];

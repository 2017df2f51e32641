// The caller: GET /api/user, with every organization.
import { Rng, type EmulatorModel } from '../data.js';
import { ok, route, type Route } from '../routing.js';

export interface EmulatedUser {
  id: string;
  githubLogin: string;
  name: string;
  email: string;
  avatarUrl: string;
  organizations: Array<{ name: string; githubLogin: string; avatarUrl: string; role: string }>;
  identities: string[];
  tokenInfo?: { name: string; organization?: string; team?: string };
  hasMFA: boolean;
  isOrgManaged: boolean;
  isManagedByMultiOrg: boolean;
}

function currentUser(model: EmulatorModel): EmulatedUser {
  return {
    id: Rng.of(model.options.seed, 'user').uuid(),
    githubLogin: 'emulator-user',
    name: 'Emulator User',
    email: 'emulator-user@example.com',
    avatarUrl: 'https://avatars.example.com/u/emulator-user',
    organizations: model.orgNames().map((name) => ({
      name,
      githubLogin: name,
      avatarUrl: `https://avatars.example.com/o/${name}`,
      role: 'admin',
    })),
    identities: ['github.com'],
    // A personal token: the service names it and leaves out the organization and team of org and team tokens.
    tokenInfo: { name: 'emulator-token' },
    hasMFA: false,
    isOrgManaged: false,
    isManagedByMultiOrg: false,
  };
}

export const userRoutes: Route[] = [route('GET', '/api/user', (_params, _query, { model }) => ok(currentUser(model)))];

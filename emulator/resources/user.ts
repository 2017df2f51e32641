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
    identities: ['github'],
    tokenInfo: { name: 'emulator-token' },
  };
}

export const userRoutes: Route[] = [route('GET', '/api/user', (_params, _query, { model }) => ok(currentUser(model)))];

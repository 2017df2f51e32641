// Standalone emulator: prints {"url","token"} as one JSON line once listening, serves until SIGTERM/SIGINT.
import { parseArgs } from 'node:util';

import { PulumiEmulator, type EmulatorOptions } from './server.js';

const USAGE = `Usage: node --import tsx emulator/cli.ts [options]
  --port N                 port on 127.0.0.1 (default 0: a free one)
  --orgs N|a,b,c           org count or comma-separated names (default 2)
  --stacks N               stacks per org (default 12)
  --updates N              maximum updates per stack (default 15)
  --members N              members per org (default 7)
  --teams N                teams per org (default 3)
  --seed N                 data seed (default 1)
  --latency-ms N           delay before every response (default 0)
  --token T                accepted access token
  --orgs-without-teams a,b orgs whose /teams answers 403
  --environments N         ESC environments per org (default 4)
  --revisions N            maximum revisions per environment (default 12)
  --deployments N          deployments per org (default 15)
  --audit-events N         audit log events per org (default 60)
  --orgs-without-environments a,b      orgs whose ESC endpoints answer 403
  --orgs-without-deployments a,b       orgs that list no deployments
  --orgs-without-audit-logs a,b        orgs whose audit logs answer 403
  --audit-log-page-size N  audit log events per page (default 25)
  --stacks-page-size N     default stacks page size (default 50)
  --members-page-size N    members per page (default 5)
  -h, --help
`;

function int(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a non-negative integer, got '${value}'`);
  return Number(value);
}

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function optionsFromArgs(args: string[]): EmulatorOptions | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      orgs: { type: 'string' },
      stacks: { type: 'string' },
      updates: { type: 'string' },
      members: { type: 'string' },
      teams: { type: 'string' },
      seed: { type: 'string' },
      'latency-ms': { type: 'string' },
      token: { type: 'string' },
      'orgs-without-teams': { type: 'string' },
      environments: { type: 'string' },
      revisions: { type: 'string' },
      deployments: { type: 'string' },
      'audit-events': { type: 'string' },
      'orgs-without-environments': { type: 'string' },
      'orgs-without-deployments': { type: 'string' },
      'orgs-without-audit-logs': { type: 'string' },
      'audit-log-page-size': { type: 'string' },
      'stacks-page-size': { type: 'string' },
      'members-page-size': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const orgs = values.orgs === undefined ? undefined : /^\d+$/.test(values.orgs) ? Number(values.orgs) : list(values.orgs);
  return {
    port: int('port', values.port),
    orgs,
    stacksPerOrg: int('stacks', values.stacks),
    updatesPerStack: int('updates', values.updates),
    membersPerOrg: int('members', values.members),
    teamsPerOrg: int('teams', values.teams),
    seed: int('seed', values.seed),
    latencyMs: int('latency-ms', values['latency-ms']),
    token: values.token,
    orgsWithoutTeams: list(values['orgs-without-teams']),
    environmentsPerOrg: int('environments', values.environments),
    revisionsPerEnvironment: int('revisions', values.revisions),
    deploymentsPerOrg: int('deployments', values.deployments),
    auditEventsPerOrg: int('audit-events', values['audit-events']),
    orgsWithoutEnvironments: list(values['orgs-without-environments']),
    orgsWithoutDeployments: list(values['orgs-without-deployments']),
    orgsWithoutAuditLogs: list(values['orgs-without-audit-logs']),
    auditLogPageSize: int('audit-log-page-size', values['audit-log-page-size']),
    stacksDefaultPageSize: int('stacks-page-size', values['stacks-page-size']),
    membersPageSize: int('members-page-size', values['members-page-size']),
    // Serving for hours, it keeps only the newest requests, not every one ever made.
    requestLogLimit: 1000,
  };
}

async function main(): Promise<void> {
  let options: EmulatorOptions | 'help';
  try {
    options = optionsFromArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const emulator = await PulumiEmulator.start(options);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    emulator.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`error while closing: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`${JSON.stringify({ url: emulator.url, token: emulator.token })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

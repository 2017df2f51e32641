#!/usr/bin/env node
// Command line: Airbyte verbs (spec, check, discover, read) and Singer flags (--about, --discover,
// --config/--catalog/--properties/--state). Every failure ends as one readable line and an exit code.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { messageOf, OutputClosedError, TapError } from './errors.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './package-info.js';
import { createRuntime, type Io, type Protocol, type Runtime } from './cli/runtime.js';
import { airbyteErrorTrace } from './protocol/airbyte-writer.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const USAGE = [
  'Airbyte:  $0 spec | check --config F | discover --config F | read --config F --catalog F [--state F]',
  'Singer:   $0 --about [--format json|markdown] | --config F --discover | --config F [--catalog F | --properties F] [--state F]',
].join('\n');

const AIRBYTE_VERBS = ['spec', 'check', 'discover', 'read'] as const;
type Verb = (typeof AIRBYTE_VERBS)[number];

interface ParsedArgs {
  verb: Verb | undefined;
  config: string[];
  catalog?: string;
  properties?: string;
  state?: string;
  discover: boolean;
  about: boolean;
  format: 'json' | 'markdown' | undefined;
  test: 'all' | 'schema' | undefined;
  version: boolean;
  help: boolean;
  debug: boolean;
}

class UsageError extends Error {}

function parser(argv: readonly string[]) {
  return yargs([...argv])
    .scriptName(PACKAGE_NAME)
    .version(false)
    .help(false)
    .usage(USAGE)
    .command('spec', 'print the connector specification (Airbyte SPEC)')
    .command('check', 'test the token and organizations (Airbyte CONNECTION_STATUS)')
    .command('discover', 'print the catalog (Airbyte CATALOG)')
    .command('read', 'sync the configured catalog (Airbyte messages)')
    .option('config', { type: 'string', array: true, requiresArg: true, description: 'config JSON file; may repeat, later files win' })
    .option('catalog', { type: 'string', requiresArg: true, description: 'configured catalog (Airbyte) or Singer catalog' })
    .option('properties', { type: 'string', requiresArg: true, description: 'Singer catalog, older flag name' })
    .option('state', { type: 'string', requiresArg: true, description: 'state file (Airbyte STREAM states or Singer bookmarks)' })
    .option('discover', { type: 'boolean', default: false, description: 'Singer: print the catalog' })
    .option('about', { type: 'boolean', default: false, description: 'Singer: describe the tap' })
    .option('format', { choices: ['json', 'markdown'] as const, description: 'with --about' })
    .option('test', { type: 'string', description: "Singer: '--test' syncs one record per stream without state, '--test=schema' prints the schemas only" })
    .option('debug', { type: 'boolean', default: false, description: 'debug logging, with stack traces' })
    .option('version', { type: 'boolean', default: false, description: 'print the version' })
    .option('help', { alias: 'h', type: 'boolean', default: false, description: 'show this help' })
    .strict()
    .exitProcess(false)
    .wrap(null)
    .fail((message, error) => {
      throw new UsageError(message || messageOf(error));
    });
}

function parseArgs(argv: readonly string[]): ParsedArgs {
  const parsed = parser(argv).parseSync();
  const positionals = parsed._.map(String);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  const verb = positionals[0];
  if (verb !== undefined && !(AIRBYTE_VERBS as readonly string[]).includes(verb)) throw new UsageError(`unknown command '${verb}'`);
  return {
    verb: verb as Verb | undefined,
    config: parsed.config ?? [],
    ...(parsed.catalog !== undefined ? { catalog: parsed.catalog } : {}),
    ...(parsed.properties !== undefined ? { properties: parsed.properties } : {}),
    ...(parsed.state !== undefined ? { state: parsed.state } : {}),
    discover: parsed.discover,
    about: parsed.about,
    format: parsed.format,
    test: parseTestFlag(parsed.test),
    version: parsed.version,
    help: parsed.help,
    debug: parsed.debug,
  };
}

function parseTestFlag(value: string | undefined): 'all' | 'schema' | undefined {
  if (value === undefined) return undefined;
  if (value === '' || value === 'all') return 'all';
  if (value === 'schema') return 'schema';
  throw new UsageError(`--test takes 'all' or 'schema', not '${value}'`);
}

function validateCombination(args: ParsedArgs): void {
  const need = (condition: boolean, message: string) => {
    if (!condition) throw new UsageError(message);
  };
  if (args.verb) {
    need(!args.discover && !args.about && !args.test, `--discover, --about and --test are Singer flags; do not combine them with '${args.verb}'`);
    if (args.verb !== 'spec') need(args.config.length > 0, `'${args.verb}' needs --config FILE`);
    if (args.verb === 'read') need(args.catalog !== undefined, `'read' needs --catalog FILE`);
    return;
  }
  need(!(args.catalog && args.properties), 'give --catalog or --properties, not both');
  if (!args.about && !args.version && !args.help) need(args.config.length > 0, 'missing --config FILE (see --help)');
}

// Each command is loaded when it runs: `spec` and `--about` need neither the validator nor the
// engine, whose loading is most of a short command's time.
async function dispatch(rt: Runtime, args: ParsedArgs, signal: AbortSignal | undefined): Promise<number> {
  switch (args.verb) {
    case 'spec':
      return (await import('./cli/spec.js')).specCommand(rt);
    case 'check':
      return (await import('./cli/check.js')).checkCommand(rt, args.config);
    case 'discover':
      return (await import('./cli/discover.js')).discoverCommand(rt, args.config);
    case 'read':
      return (await import('./cli/read.js')).readCommand(rt, { config: args.config, ...(args.catalog ? { catalog: args.catalog } : {}), ...(args.state ? { state: args.state } : {}) }, signal);
    case undefined:
      if (args.about) return (await import('./cli/about.js')).aboutCommand(rt, args.format ?? 'markdown');
      if (args.discover) return (await import('./cli/discover.js')).discoverCommand(rt, args.config);
      {
        const catalog = args.catalog ?? args.properties;
        const { readCommand } = await import('./cli/read.js');
        return readCommand(rt, { config: args.config, ...(catalog ? { catalog } : {}), ...(args.state ? { state: args.state } : {}), ...(args.test ? { test: args.test } : {}) }, signal);
      }
  }
}

function reportFailure(rt: Runtime, error: unknown): number {
  if (error instanceof OutputClosedError) {
    rt.err.writeNow(`${PACKAGE_NAME}: stdout was closed by the reading process; stopping`);
    return EXIT_FAILURE;
  }
  const message = error instanceof TapError ? error.message : `unexpected error: ${messageOf(error)}`;
  if (rt.protocol === 'airbyte' && !rt.out.isClosed) {
    // No wait for a slow reader here: the final flush waits, and a reader gone meanwhile cannot reject it.
    rt.out.writeNow(JSON.stringify(airbyteErrorTrace(message, error, { debug: rt.debug })));
  } else if (rt.protocol === 'airbyte') {
    rt.err.writeNow(`${PACKAGE_NAME}: ${message}`);
  } else {
    rt.logger.error(message);
  }
  if (rt.debug && error instanceof Error && error.stack) rt.logger.debug(error.stack);
  return EXIT_FAILURE;
}

/** `signal` is aborted on SIGTERM/SIGINT: a sync stops requesting and ends with a consistent state. */
export async function main(argv: readonly string[], io: Io, signal?: AbortSignal): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
    validateCombination(args);
  } catch (error) {
    const rt = createRuntime(io, 'singer', false);
    // Under an Airbyte verb the platform reads stdout only: tell it there too.
    if ((AIRBYTE_VERBS as readonly string[]).includes(argv[0] ?? '')) {
      rt.out.writeNow(JSON.stringify(airbyteErrorTrace(`invalid arguments: ${messageOf(error)}`, error, { failureType: 'config_error', debug: false })));
    }
    rt.err.writeNow(`${PACKAGE_NAME}: ${messageOf(error)}\n${USAGE.replaceAll('$0', PACKAGE_NAME)}\nRun '${PACKAGE_NAME} --help' for every option.`);
    return EXIT_USAGE;
  }
  const protocol: Protocol = args.verb ? 'airbyte' : 'singer';
  const rt = createRuntime(io, protocol, args.debug);
  if (args.help) {
    await rt.out.write(await parser([]).getHelp());
    return EXIT_OK;
  }
  if (args.version) {
    await rt.out.write(`${PACKAGE_NAME} ${PACKAGE_VERSION}`);
    return EXIT_OK;
  }
  let code: number;
  try {
    code = await dispatch(rt, args, signal);
  } catch (error) {
    code = reportFailure(rt, error);
  }
  await Promise.all([rt.out.flush(), rt.err.flush()]);
  return code;
}

function isEntryPoint(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

function stopSignal(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    // A second signal means now.
    if (controller.signal.aborted) process.exit(128 + (name === 'SIGINT' ? 2 : 15));
    controller.abort(name);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return controller.signal;
}

if (isEntryPoint()) {
  // Whatever escapes main (a reader gone while a last line waits) ends as an exit code, not a trace.
  process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }, stopSignal()).catch(() => EXIT_FAILURE);
}

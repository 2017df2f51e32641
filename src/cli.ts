#!/usr/bin/env node
// Command line: Airbyte verbs (spec, check, discover, read) and Singer flags (--about, --discover,
// --config/--catalog/--properties/--state). Every failure ends as one readable line and an exit code.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { messageOf, OutputClosedError, TapError } from './errors.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './package-info.js';
import { AIRBYTE_VERBS, helpText, parseArgs, USAGE, validateCombination, type ParsedArgs } from './cli/args.js';
import { createRuntime, type Io, type Protocol, type Runtime } from './cli/runtime.js';
import { airbyteErrorTrace } from './protocol/airbyte-writer.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

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
    await rt.out.write(helpText(PACKAGE_NAME));
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

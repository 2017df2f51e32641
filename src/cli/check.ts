// `check`: can this token read these organizations? Always answers with a CONNECTION_STATUS.
import { loadConfig } from '../config/config.js';
import { messageOf, TapError } from '../errors.js';
import type { Runtime } from './runtime.js';
import { createClient } from './client.js';
import { verifyAccess } from './connection.js';

async function checkConnection(rt: Runtime, configPaths: readonly string[]): Promise<string | undefined> {
  const config = await loadConfig(configPaths, rt.env, (message) => rt.logger.warn(message));
  rt.redactor.add(config.token);
  const access = await verifyAccess(createClient(rt, config), config);
  if (access.problem === undefined) rt.logger.info(`connected to ${config.baseUrl} as ${access.user ?? 'an unnamed user'}; organizations readable: ${config.organizations.join(', ')}`);
  return access.problem;
}

export async function checkCommand(rt: Runtime, configPaths: readonly string[]): Promise<number> {
  let failure: string | undefined;
  try {
    failure = await checkConnection(rt, configPaths);
  } catch (error) {
    failure = error instanceof TapError ? error.message : `unexpected error: ${messageOf(error)}`;
    if (rt.debug && error instanceof Error && error.stack) rt.logger.debug(error.stack);
  }
  const connectionStatus = failure === undefined ? { status: 'SUCCEEDED' } : { status: 'FAILED', message: failure };
  await rt.out.write(JSON.stringify({ type: 'CONNECTION_STATUS', connectionStatus }));
  return 0;
}

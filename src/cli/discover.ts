import { airbyteCatalog, singerCatalog } from '../protocol/catalog.js';
import { loadConfig } from '../config/config.js';
import type { Runtime } from './runtime.js';
import { SchemaRegistry } from '../streams/schemas.js';

/** The schemas are static: discover validates the config but makes no request. */
export async function discoverCommand(rt: Runtime, configPaths: readonly string[]): Promise<number> {
  const config = await loadConfig(configPaths, rt.env, (message) => rt.logger.warn(message));
  rt.redactor.add(config.token);
  const schemas = new SchemaRegistry();
  if (rt.protocol === 'airbyte') {
    await rt.out.write(JSON.stringify({ type: 'CATALOG', catalog: airbyteCatalog(schemas) }));
  } else {
    await rt.out.write(JSON.stringify(singerCatalog(schemas), null, 2));
  }
  return 0;
}

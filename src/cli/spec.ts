import type { Runtime } from './runtime.js';
import { connectorSpecification } from '../config/spec.js';

export async function specCommand(rt: Runtime): Promise<number> {
  await rt.out.write(JSON.stringify({ type: 'SPEC', spec: connectorSpecification }));
  return 0;
}

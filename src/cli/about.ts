import { PACKAGE_DESCRIPTION, PACKAGE_NAME, PACKAGE_VERSION } from '../package-info.js';
import type { Runtime } from './runtime.js';
import { connectionSpecification } from '../config/spec.js';
import { STREAMS } from '../streams/index.js';

export const CAPABILITIES = ['catalog', 'properties', 'discover', 'state', 'about', 'test'];

export function aboutJson(): Record<string, unknown> {
  return {
    name: PACKAGE_NAME,
    description: PACKAGE_DESCRIPTION,
    version: PACKAGE_VERSION,
    capabilities: CAPABILITIES,
    settings: connectionSpecification,
    streams: STREAMS.map((s) => ({ name: s.name, key_properties: s.keyProperties, replication_key: s.cursor?.field ?? null })),
  };
}

export function aboutMarkdown(): string {
  const settings = Object.entries(connectionSpecification.properties).map(([name, p]) => {
    const required = (connectionSpecification.required as readonly string[]).includes(name) ? 'yes' : 'no';
    const fallback = 'default' in p ? `\`${JSON.stringify(p.default)}\`` : '';
    return `| \`${name}\` | ${p.type} | ${required} | ${fallback} | ${p.description} |`;
  });
  const streams = STREAMS.map((s) => `| \`${s.name}\` | ${s.keyProperties.join(', ')} | ${s.cursor?.field ?? 'full table'} |`);
  return [
    `# ${PACKAGE_NAME} ${PACKAGE_VERSION}`,
    '',
    PACKAGE_DESCRIPTION,
    '',
    `Capabilities: ${CAPABILITIES.join(', ')}.`,
    '',
    '## Settings',
    '',
    '| setting | type | required | default | description |',
    '|---|---|---|---|---|',
    ...settings,
    '',
    '## Streams',
    '',
    '| stream | key properties | replication key |',
    '|---|---|---|',
    ...streams,
    '',
  ].join('\n');
}

export async function aboutCommand(rt: Runtime, format: 'json' | 'markdown'): Promise<number> {
  await rt.out.write(format === 'json' ? JSON.stringify(aboutJson(), null, 2) : aboutMarkdown());
  return 0;
}

import { createRequire } from 'node:module';
import type * as Http from 'node:http';

/**
 * `node:http`, loaded with require rather than import. An ESM import builds the module's whole
 * namespace, which runs its lazy getters and so loads Node's bundled undici: about 13 MiB
 * resident in a process that never uses it.
 */
export const nodeHttp = createRequire(import.meta.url)('node:http') as typeof Http;

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from '../functions/api/openapi';

/** `npm run openapi`: writes docs/openapi.json from the route table (a test checks it is current). */
export const committedPath = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));
writeFileSync(committedPath, `${JSON.stringify(openApiDocument(), null, 2)}\n`);
process.stdout.write(`wrote ${committedPath}\n`);

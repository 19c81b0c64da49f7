// Copies non-TS assets the compiled library needs next to the emitted JS.
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

const assets = ['router/classifier/model.json', 'router/quality/quality-model.json'];
for (const rel of assets) {
  if (!existsSync(rel)) continue;
  const dest = `dist/${rel}`;
  mkdirSync(dirname(dest), { recursive: true });
  cpSync(rel, dest);
}

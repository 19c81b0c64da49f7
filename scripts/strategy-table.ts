// Prints the README's strategy table from the registered definitions:
//   npx tsx scripts/strategy-table.ts
import '../router/strategies/index.js';
import { strategyDefinitions } from '../router/core/strategy.js';

console.log('| strategy | optimises | needs |');
console.log('| --- | --- | --- |');
for (const d of strategyDefinitions()) console.log(`| \`${d.name}\` | ${d.optimises} | ${d.needs} |`);

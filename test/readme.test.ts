import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../router/strategies/index.js';
import { strategyDefinitions } from '../router/core/strategy.js';

const readme = readFileSync(resolve(import.meta.dirname, '..', 'README.md'), 'utf8');

describe('README', () => {
  it('starts with the two commands a newcomer runs', () => {
    const head = readme.split('\n').slice(0, 5).join('\n');
    expect(head).toContain('npm ci && npm run scenario outage-failover');
    expect(head).toContain('npm test');
  });

  it('strategy table lists every registered strategy with its current description', () => {
    for (const d of strategyDefinitions()) expect(readme).toContain(`| \`${d.name}\` | ${d.optimises} | ${d.needs} |`);
  });
});

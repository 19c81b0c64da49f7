/**
 * The package root is the router core: build it, `npm pack` it, install the tarball
 * into a temporary project and run the README's library example there, as a user would.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'llm-router-pack-'));

/** The first ```js block after the `<!-- library-example -->` marker in README.md. */
export function readmeLibraryExample(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const at = readme.indexOf('<!-- library-example -->');
  if (at < 0) throw new Error('README.md has no <!-- library-example --> marker');
  const m = /```js\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!m) throw new Error('no ```js block after the library-example marker');
  return m[1]!;
}

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm pack', () => {
  it('installs into a fresh project, exposes types, and runs the README library example', () => {
    run('npm', ['run', 'build', '--silent'], root);
    run('npm', ['pack', '--silent', '--pack-destination', work], root);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();

    const app = join(work, 'app');
    run('mkdir', ['-p', app], work);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, tarball!)], app);

    const pkgDir = join(app, 'node_modules', 'llm-router');
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { exports: Record<string, { types: string }> };
    expect(readFileSync(join(pkgDir, pkg.exports['.']!.types), 'utf8')).toContain('createRouter');

    writeFileSync(join(app, 'example.mjs'), readmeLibraryExample());
    const out = run('node', ['example.mjs'], app);
    // The example routes around an endpoint that refuses connections: every request succeeds on "up".
    expect(out).toContain('served by up');
    expect(out).not.toMatch(/error/i);
  });
});

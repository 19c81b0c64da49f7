/**
 * The package root is the router core: build it, `npm pack` it, install the tarball
 * into a temporary project and run the README's library example there, as a user would.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
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

  it('ships the compiled proxy as the llm-router-proxy bin: a bad config exits 2 naming the field; a good one serves /health and drains on SIGTERM', async () => {
    const bin = join(work, 'app', 'node_modules', '.bin', 'llm-router-proxy');
    writeFileSync(join(work, 'bad.json'), JSON.stringify({ endpoints: [{ provider: 'p', model: 'm', weight: -1 }] }));
    const bad = spawnSync(bin, ['--config', join(work, 'bad.json')], { encoding: 'utf8', timeout: 30_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/endpoints\[0\]\.weight/);

    writeFileSync(join(work, 'good.json'), JSON.stringify({ endpoints: [{ provider: 'p', model: 'm', baseUrl: 'http://127.0.0.1:9/v1' }] }));
    const child = spawn(bin, ['--config', join(work, 'good.json'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let seen = '';
        child.stdout.on('data', (d: Buffer) => {
          seen += d.toString();
          const m = /listening on (http:\/\/[\d.:]+)/.exec(seen);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`proxy exited ${code} before listening`)));
      });
      expect((await fetch(`${url}/health`)).status).toBe(200);
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});

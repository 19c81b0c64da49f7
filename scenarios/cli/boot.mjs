/**
 * Entry of `npm run scenario` (plain JavaScript, run by node itself). Same as
 * `tsx scenarios/cli/cli.ts`, minus ~0.2 s of start-up: no tsx CLI parent process, and the
 * big JavaScript dependencies load before tsx's loader is registered, at native speed
 * (through the loader hooks every one of their modules costs a round trip to the
 * hooks thread). Their later imports from TypeScript resolve to the same URLs, so the
 * module cache serves them. Everything else is cli.ts.
 */
await import('zod');
await import('yaml');
await import('cli-progress');
await import('tsx');
await import('./cli.ts');

import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { loadProfileFile, PROFILE_DIR } from './profiles.js';
import { parseProfile, type ProviderProfile } from '../../simulator/profile.js';
import type { FaultWindow } from '../../reports/contract.js';
import { ScenarioError } from './load.js';
import { providerId, type Scenario } from '../spec/schema.js';
import type { z } from 'zod';
import type { endpointAttrsSchema } from '../spec/schema.js';

/**
 * Turns a scenario's provider references into complete, validated profiles: the named
 * profile, deep-merged with the scenario's `overrides`, plus the scenario timeline's
 * phases for that provider. Both modes (and `npm run providers --scenario`) should
 * use this, so a scenario means the same thing everywhere.
 */

export interface ResolvedProvider {
  /** Provider id in this scenario (the endpoint id and the profile id). */
  id: string;
  profile: ProviderProfile;
  endpoint: z.output<typeof endpointAttrsSchema>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** JSON merge patch (RFC 7396): objects merge key by key, `null` deletes a key, arrays and scalars replace. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObj(over)) return over === undefined ? base : over;
  const out: Obj = isObj(base) ? { ...base } : {};
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else out[k] = deepMerge(out[k], v);
  }
  return out;
}

/** Where a profile reference points: a name in simulator/profiles/ or a path relative to the scenario file. */
export function profilePath(ref: string, scenarioFile: string): string {
  if (/[\\/]/.test(ref) || /\.(ya?ml|json)$/.test(ref)) {
    const p = isAbsolute(ref) ? ref : resolve(dirname(scenarioFile), ref);
    return p;
  }
  return join(PROFILE_DIR, `${ref}.yaml`);
}

export function resolveProviders(s: Scenario, scenarioFile: string, where = scenarioFile): ResolvedProvider[] {
  return s.providers.map((p, i) => {
    const id = providerId(p);
    const file = profilePath(p.profile, scenarioFile);
    if (!existsSync(file))
      throw new ScenarioError(`${where}: providers[${i}].profile: profile "${p.profile}" not found (${file})`);
    const base = loadProfileFile(file);
    const merged = deepMerge(base, p.overrides ?? {}) as Obj;
    const phases = s.timeline.filter((ph) => ph.provider === id).map(({ provider: _p, ...ph }) => ph);
    const timeline = [...((merged.timeline as unknown[] | undefined) ?? []), ...phases];
    try {
      const profile = parseProfile({ ...merged, id, timeline }, `${where}: providers[${i}] (profile ${p.profile})`);
      return { id, profile, endpoint: p.endpoint ?? {} };
    } catch (e) {
      throw new ScenarioError((e as Error).message);
    }
  });
}

/** The scenario's fault windows for chart shading (profile timelines and load surges included). */
export function faultWindows(
  providers: readonly ResolvedProvider[],
  durationS: number,
  loadPhases: ReadonlyArray<{ startS: number; endS: number; multiplier: number }> = [],
): FaultWindow[] {
  const out: FaultWindow[] = loadPhases
    .filter((p) => p.startS < durationS)
    .map((p) => ({ start: p.startS, end: Math.min(p.endS, durationS), provider: 'load', kind: `load x${p.multiplier}` }));
  for (const p of providers) {
    const recoveries = p.profile.timeline.filter((ph) => ph.kind === 'recovery').map((ph) => ph.at);
    for (const ph of p.profile.timeline) {
      if (ph.kind === 'recovery' || ph.at >= durationS) continue;
      let end = ph.until ?? durationS;
      for (const r of recoveries) if (r > ph.at && r < end) end = r;
      out.push({ start: ph.at, end: Math.min(end, durationS), provider: p.id, kind: ph.kind });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

import { join } from 'node:path';
import { REPO_ROOT, ScenarioError } from './load.js';
import { readYamlFile } from '../../simulator/profile.js';

/** The shipped provider profiles (simulator/profiles/*.yaml). */
export const PROFILE_DIR = join(REPO_ROOT, 'simulator', 'profiles');

/** Read a profile file as plain data (validated after the scenario's overrides are merged in). */
export function loadProfileFile(file: string): Record<string, unknown> {
  try {
    const raw = readYamlFile(file);
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${file}: expected a mapping`);
    return raw as Record<string, unknown>;
  } catch (e) {
    throw new ScenarioError((e as Error).message);
  }
}

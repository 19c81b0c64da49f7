import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultQualityModelPath, parseQualityModel, readQualityModel } from '../router/quality/index.js';
import { features, featureWidth, HAND_FEATURES } from '../router/quality/features.js';
import { predict, trainLogistic } from '../router/quality/logistic.js';
import { trainQualityModel } from '../scripts/quality/training.js';

describe('learned quality model', () => {
  it('npm run train-quality reproduces the shipped quality-model.json byte for byte, trained on training subjects only', () => {
    const t = trainQualityModel();
    const shipped = readFileSync(defaultQualityModelPath(), 'utf8');
    expect(t.json).toBe(shipped);
    const held = new Set(t.model.meta!.split.heldOutSubjects);
    expect(held.size).toBeGreaterThan(0);
    for (const r of t.prepared.train) expect(held.has(r.subject)).toBe(false);
    expect(t.model.meta!.trainSize).toBe(t.prepared.train.length);
  }, 60_000);

  it('rejects a model whose weights do not match the feature width, naming the field', () => {
    const m = readQualityModel(defaultQualityModelPath());
    expect(() => parseQualityModel({ ...m, cheap: { bias: 0, weights: [1, 2] } }, 'x.json')).toThrow(/x\.json[\s\S]*cheap\.weights[\s\S]*expected 4106 weights/);
    expect(() => parseQualityModel({ ...m, handFeatures: ['other'] }, 'x.json')).toThrow(/handFeatures/);
    expect(() => parseQualityModel({ ...m, format: 'v0' }, 'x.json')).toThrow(/format/);
  });

  it('features: hashed slots in range and ascending, then the hand features; the text beyond MAX_CHARS is not read', () => {
    const x = features('Calculate 3 + 4 = ?\nA. 5\nB. 7\nC. 9\nD. 12', 64);
    const slots = [...x.index];
    expect(slots.slice(-HAND_FEATURES.length)).toEqual(HAND_FEATURES.map((_, j) => 64 + j));
    const hashed = slots.slice(0, -HAND_FEATURES.length);
    expect(hashed).toEqual([...hashed].sort((a, b) => a - b));
    for (const s of hashed) expect(s).toBeLessThan(64);
    const numeric = x.value[hashed.length + HAND_FEATURES.indexOf('numeric-choices')];
    expect(numeric).toBe(1); // all four choices are numbers
    expect(features('word '.repeat(10_000), 64)).toEqual(features('word '.repeat(800), 64));
  });

  it('logistic regression learns a separable toy problem and is deterministic for a seed', () => {
    const width = featureWidth(16);
    const ex = Array.from({ length: 200 }, (_, i) => ({ x: features(i % 2 ? 'cats purr softly' : 'dogs bark loudly', 16), y: i % 2 }));
    const o = { epochs: 20, learningRate: 0.5, l2: 0, seed: 3 };
    const m = trainLogistic(ex, width, o);
    expect(predict(m, features('cats purr', 16))).toBeGreaterThan(0.9);
    expect(predict(m, features('dogs bark', 16))).toBeLessThan(0.1);
    expect([...trainLogistic(ex, width, o).weights]).toEqual([...m.weights]);
  });

  it('the train and eval CLIs exit 2 naming the flag on bad input', () => {
    const cli = (script: string, ...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', timeout: 60_000 });
    const a = cli('scripts/eval-quality.ts', '--splits', '0');
    expect(a.status).toBe(2);
    expect(a.stderr).toContain('--splits: expected a positive integer, got "0"');
    const b = cli('scripts/train-quality.ts', '--bogus');
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/--bogus/);
  }, 60_000);
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { formatIdle } from '../bench/idle-deps.js';
import { formatChecks, formatProxyBench, median, openLoop, parseWrk, proxyChecks, TARGETS } from '../bench/proxy.js';

/** The bench's own arithmetic (bench/proxy.ts): what it reads from wrk and how it judges a target. */
describe('bench: wrk summary, medians, target verdicts', () => {
  it('reads requests, req/s and errors (socket errors + non-2xx) from a wrk summary', () => {
    const out = [
      'Running 2s test @ http://127.0.0.1:40000/v1/chat/completions',
      '  2 threads and 32 connections',
      '  9518 requests in 2.00s, 4.19MB read',
      '  Socket errors: connect 0, read 2, write 1, timeout 3',
      '  Non-2xx or 3xx responses: 4',
      'Requests/sec:   4756.25',
      'Transfer/sec:      2.09MB',
    ].join('\n');
    expect(parseWrk(out)).toEqual({ requests: 9518, rps: 4756.25, errors: 10 });
    expect(parseWrk('  10 requests in 1.00s, 1KB read\nRequests/sec:     10.00\n')).toEqual({ requests: 10, rps: 10, errors: 0 });
    expect(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(/cannot read wrk output/);
  });

  it('median of odd and even lists; NaN when empty', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('judges each target against its threshold and keeps the floor beside it', () => {
    const checks = proxyChecks({
      throughput: {
        directRps: 50_000, proxyRps: 16_000, ratio: 0.32, directErrors: 0, proxyErrors: 0, proxyCpuUsPerRequest: 61,
        floorCpuUsPerRequest: 40, floorRps: 25_000, mockCpuUsPerRequest: 20, proxySysShare: 0.25, rounds: [], loadgen: 'wrk',
      },
      latency: null,
      rss: { streams: 2000, ok: 2000, errors: 0, baselineMb: 70, peakMb: 110, floorMb: 90 },
    });
    const by = Object.fromEntries(checks.map((c) => [c.name.split(' ')[0], c]));
    expect(by.proxy!).toMatchObject({ value: 61, target: TARGETS.cpuUsPerRequest, floor: 40, met: false });
    expect(by.throughput!).toMatchObject({ value: 0.32, floor: 0.5, met: true });
    // 110 MB <= 1.25 x 90 MB = 112.5 MB: met; one failed stream fails it.
    expect(by.peak!).toMatchObject({ value: 110, target: 112.5, floor: 90, met: true });
    const failed = proxyChecks({ throughput: null, latency: null, rss: { streams: 2000, ok: 1999, errors: 1, baselineMb: 70, peakMb: 110, floorMb: 90 } });
    expect(failed[0]!.met).toBe(false);
  });

  it('a fresh proxy is judged against the bare forwarding proxy too, when both were measured', () => {
    const rss = { streams: 2000, ok: 2000, errors: 0, baselineMb: 70, peakMb: 140, floorMb: 98 };
    expect(proxyChecks({ throughput: null, latency: null, rss })).toHaveLength(1);
    const [sse, fwd] = proxyChecks({ throughput: null, latency: null, rss: { ...rss, freshPeakMb: 139, freshErrors: 0, forwardFloorMb: 117.4 } });
    expect(sse!.met).toBe(false); // 140 > 1.25 x 98
    // 139 <= 1.25 x 117.4 = 146.75 -> 146.8: met; a failed stream in the fresh proxy fails it.
    expect(fwd).toMatchObject({ value: 139, target: 146.8, floor: 117.4, met: true });
    expect(proxyChecks({ throughput: null, latency: null, rss: { ...rss, freshPeakMb: 139, freshErrors: 1, forwardFloorMb: 117.4 } })[1]!.met).toBe(false);
    expect(proxyChecks({ throughput: null, latency: null, rss: { ...rss, freshPeakMb: 150, freshErrors: 0, forwardFloorMb: 117.4 } })[1]!.met).toBe(false);
  });
});

describe('bench: open-loop latency and its floor', () => {
  const lat = (p99: number) => ({ p50: 1, p90: 2, p99, p999: p99, max: p99 });
  const latency = {
    rate: 400, direct: lat(6), proxy: lat(8), addedP50Ms: 0.5, addedP99Ms: 2.4, roundsAddedP99Ms: [2.4, 4.6, 1.9], errors: 0,
    floor: { all: lat(7), addedP99Ms: 1.6, roundsAddedP99Ms: [1.6, 3.0, 1.2], proxyAboveP99Ms: 0.8 },
  };

  it('judges the added p99 against the bare forwarding proxy\'s added p99 from the same rounds, and prints the difference to it', () => {
    const [c] = proxyChecks({ throughput: null, latency, rss: null });
    expect(c).toMatchObject({ value: 2.4, target: TARGETS.addedP99Ms, floor: 1.6, met: false });
    expect(c!.floorName).toContain('bare forwarding proxy');
    // without the floor proxy (an older bench.json), the direct p99 stays the reference
    const { floor: _, ...older } = latency;
    expect(proxyChecks({ throughput: null, latency: older, rss: null })[0]).toMatchObject({ floor: 6, floorName: 'direct p99 ms' });
    const out = formatProxyBench({ throughput: null, latency, rss: null, targets: {}, checks: [], loadAvg: [1, 1, 1] });
    expect(out).toContain("floor       the bare forwarding proxy: p50 1.000 p99 7.000 ms (all rounds); added p99 per round 1.600, 3.000, 1.200 ms; median 1.600 ms; the proxy's p99 minus the floor's, median of rounds 0.800 ms");
  });

  it('a floor at or below zero gets a difference, not a ratio', () => {
    const base = { name: 'added p99', unit: 'ms', value: 0.4, op: '<=' as const, target: 1, floorName: 'floor proxy', met: true };
    expect(formatChecks([{ ...base, floor: 0.2 }])[0]).toContain('ratio to floor 2.000');
    expect(formatChecks([{ ...base, floor: -0.1 }])[0]).toContain('floor -0.100 (floor proxy), 0.500 ms above it');
    expect(formatChecks([{ ...base, floor: 0 }])[0]).not.toContain('ratio');
  });

  const servers: Server[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));
  const serve = async (status: number): Promise<{ origin: string; seen: () => number }> => {
    let n = 0;
    const s = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        n++;
        res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      });
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return { origin: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen: () => n };
  };

  it('sends rate x seconds requests at their due times and counts non-200 answers as errors', async () => {
    const ok = await serve(200);
    const bad = await serve(500);
    const good = await openLoop(ok.origin, '/v1/chat/completions', '{}', 100, 0.2);
    const failed = await openLoop(bad.origin, '/v1/chat/completions', '{}', 100, 0.2);
    expect([ok.seen(), bad.seen()]).toEqual([20, 20]);
    expect([good.lat.length, good.errors, failed.lat.length, failed.errors]).toEqual([20, 0, 20, 20]);
    for (const x of good.lat) expect(x).toBeGreaterThan(0);
    expect(await openLoop(ok.origin, '/', '{}', 100, 0)).toEqual({ lat: [], errors: 0 });
  });
});

describe('bench: the idle readings', () => {
  it('prints the idle RSS of the proxy and both floors, and the gap to the forwarding floor', () => {
    const rss = { streams: 2000, ok: 2000, errors: 0, baselineMb: 70, peakMb: 140, floorMb: 98, freshPeakMb: 139, freshErrors: 0, forwardFloorMb: 117.4 };
    const idle = { proxyMb: 71.4, proxyHeapUsedMb: 12, proxyHeapTotalMb: 30.1, floorMb: 43.9, forwardFloorMb: 45.6 };
    const out = formatProxyBench({ throughput: null, latency: null, rss: { ...rss, idle }, targets: {}, checks: [], loadAvg: [1, 1, 1] });
    expect(out).toContain('idle        0.5 s after start, before any stream: proxy 71.4 MB (heap used 12.0 of 30.1 MB); SSE floor 43.9 MB; forwarding floor 45.6 MB; proxy minus forwarding floor 25.8 MB');
    expect(formatProxyBench({ throughput: null, latency: null, rss, targets: {}, checks: [], loadAvg: [1, 1, 1] })).not.toContain('idle ');
    const afterStreams = { proxyMb: 95.2, proxyHeapUsedMb: 25.1, proxyHeapTotalMb: 66, floorMb: 80.4, forwardFloorMb: 90.1 };
    expect(formatProxyBench({ throughput: null, latency: null, rss: { ...rss, idle, afterStreams }, targets: {}, checks: [], loadAvg: [1, 1, 1] })).toContain(
      'after       1 s after the streams ended: proxy 95.2 MB (heap used 25.1 of 66.0 MB); SSE floor 80.4 MB; forwarding floor 90.1 MB; proxy minus forwarding floor 5.1 MB',
    );
  });

  it('names the semi-space flag when the proxy and its floors ran with one, and nothing when they ran with Node\'s default', () => {
    const base = { throughput: null, latency: null, rss: null, targets: {}, checks: [], loadAvg: [1, 1, 1] };
    expect(formatProxyBench({ ...base, semiSpaceMb: 2 }).split('\n')[0]).toBe(
      'proxy overhead (loopback, round-robin over 2 instant mocks; load average 1.0 1.0 1.0; node --max-semi-space-size=2 for the proxy and every floor)',
    );
    expect(formatProxyBench({ ...base, semiSpaceMb: 0 })).not.toContain('semi-space');
    expect(formatProxyBench(base)).not.toContain('semi-space');
  });

  it('bench/idle-deps.ts: each row is printed as its difference from the first (node:http alone)', () => {
    const rows = [
      { label: 'node:http alone (the floor)', rssMb: 43.6, heapUsedMb: 3.2, heapTotalMb: 5.7 },
      { label: 'zod', rssMb: 56.3, heapUsedMb: 6.3, heapTotalMb: 15.3 },
      { label: 'lru-cache', rssMb: 45.2, heapUsedMb: 3.5, heapTotalMb: 5.2 },
    ];
    const lines = formatIdle(rows).split('\n');
    expect(lines[0]).toBe('idle process, after gc: node:http alone (the floor) RSS 43.6 MB, heap used 3.2 of 5.7 MB; each row minus that:');
    expect(lines[1]).toMatch(/^ {2}zod +RSS +\+12\.7 MB +heap used +\+3\.1 MB +heap total +\+9\.6 MB$/);
    expect(lines[2]).toMatch(/heap total +-0\.5 MB$/);
    expect(lines).toHaveLength(3);
  });
});

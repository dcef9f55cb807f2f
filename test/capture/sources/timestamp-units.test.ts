import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { split, splitUnits, tsResolution } from '../../../src/capture/sources/timestamp-units.ts';

describe('splitUnits', () => {
  it('matches BigInt arithmetic for every resolution and random 64-bit counts', () => {
    let seed = 12345;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    for (const raw of [0, 3, 6, 9, 10, 12, 0x80, 0x80 | 10, 0x80 | 20, 0x80 | 30, 0x80 | 40]) {
      const r = tsResolution(raw);
      const per = raw & 0x80 ? 1n << BigInt(raw & 0x7f) : 10n ** BigInt(raw);
      for (let i = 0; i < 500; i++) {
        // Mix small and huge counts (the hi word decides which path runs).
        const hi = i % 3 === 0 ? rnd() & 0x1fffff : i % 3 === 1 ? rnd() : 0x17a2b3c4;
        const lo = rnd();
        const units = (BigInt(hi) << 32n) | BigInt(lo);
        splitUnits(hi, lo, r);
        const sec = units / per;
        const nsec = ((units - sec * per) * 1_000_000_000n) / per;
        if (sec <= BigInt(Number.MAX_SAFE_INTEGER)) assert.equal(split.sec, Number(sec), `raw ${raw} units ${units}`);
        assert.equal(split.nsec, Number(nsec), `raw ${raw} units ${units}`);
      }
    }
  });
});

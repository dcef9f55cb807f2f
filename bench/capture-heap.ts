// Live heap after a full inspect pass (forced GC), to tell retained per-flow state from V8 heap growth.
// Usage: node --expose-gc --import tsx bench/capture-heap.ts FILE
import { analyzeCapture } from '../src/capture/capture-events.ts';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: capture-heap.ts FILE\n');
  process.exit(2);
}
const r = await analyzeCapture(file, { keepEvents: false });
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const m = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({ file, packets: r.analyzer.packets, flows: r.analyzer.table.size, heapUsedMiB: +(m.heapUsed / 2 ** 20).toFixed(1), heapTotalMiB: +(m.heapTotal / 2 ** 20).toFixed(1), externalMiB: +(m.external / 2 ** 20).toFixed(1), rssMiB: +(m.rss / 2 ** 20).toFixed(1) })}\n`,
);

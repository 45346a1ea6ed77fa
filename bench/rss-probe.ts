// Preloaded (`node --expose-gc --require dist/bench/rss-probe.js`) into a process whose idle memory
// bench/module-cost.ts measures: on SIGUSR2 it collects garbage and writes the resident set size in bytes to
// the file named by WEFT_BENCH_RSS_FILE. It loads nothing but node:fs, so it adds next to nothing itself.
import * as fs from 'node:fs';

const file = process.env.WEFT_BENCH_RSS_FILE;
const gc = (globalThis as { gc?: () => void }).gc;
if (file && gc) {
  process.on('SIGUSR2', () => {
    gc();
    gc();
    fs.writeFileSync(file, String(process.memoryUsage.rss()));
  });
}

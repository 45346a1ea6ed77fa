// A clock the test moves by hand: `advance(ms)` runs the timers that fall due, in order.
import type { Clock } from '../../../../common/clock';

export class FakeClock implements Clock {
  private time = 1_000_000;
  private timers: { at: number; fn: () => void; id: NodeJS.Timeout }[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): NodeJS.Timeout {
    const id = { fake: this.timers.length } as unknown as NodeJS.Timeout;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  }

  clearTimeout(id: NodeJS.Timeout): void {
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = due.at;
      due.fn();
    }
    this.time = until;
  }
}

/** A deterministic stand-in for Math.random: cycles through the given values. */
export function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

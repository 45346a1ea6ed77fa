// RequestSlots: at most maxActive started, the rest wait in order up to maxQueued, then refused; a withdrawn
// ticket never starts, and a released slot goes to the oldest ticket still waiting.
import t from 'tap';
import { RequestSlots, SlotTicket } from '../../../../proxy/http/request-slots';

function tickets(n: number, started: number[]): SlotTicket[] {
  return Array.from({ length: n }, (_, i) => new SlotTicket(() => started.push(i)));
}

t.test('starts up to maxActive at once, queues up to maxQueued, refuses the rest', async (t) => {
  const slots = new RequestSlots(2, 3);
  const started: number[] = [];
  const all = tickets(6, started);
  t.same(all.map((x) => slots.enter(x)), [true, true, true, true, true, false]);
  t.same(started, [0, 1], 'two started at once');
  t.same([slots.activeCount, slots.queuedCount], [2, 3]);
  t.equal(all[5].state, 'refused');
  t.notOk(slots.withdraw(all[5]), 'a refused ticket was never waiting');
  t.equal(slots.queuedCount, 3, 'withdrawing a refused ticket leaves the count alone');
});

t.test('a released slot goes to the oldest ticket still waiting; withdrawn ones are skipped', async (t) => {
  const slots = new RequestSlots(1, 10);
  const started: number[] = [];
  const all = tickets(4, started);
  for (const x of all) slots.enter(x);
  t.ok(slots.withdraw(all[1]), 'ticket 1 leaves the queue');
  t.notOk(slots.withdraw(all[1]), 'only once');
  slots.release(all[0]);
  t.same(started, [0, 2], 'ticket 2 started, 1 never will');
  slots.release(all[0]);
  t.same([slots.activeCount, slots.queuedCount], [1, 1], 'a second release of the same ticket changes nothing');
  t.notOk(slots.withdraw(all[2]), 'a started ticket cannot be withdrawn');
  slots.release(all[2]);
  t.same(started, [0, 2, 3]);
  slots.release(all[3]);
  t.same([slots.activeCount, slots.queuedCount], [0, 0]);
});

t.test('a start that releases at once hands the slot on without losing count', async (t) => {
  const slots = new RequestSlots(1, 100);
  const order: number[] = [];
  // Every ticket fails on the spot (as a request refused synchronously would): each release starts the next.
  const all: SlotTicket[] = [];
  for (let i = 0; i < 50; i++) {
    const ticket: SlotTicket = new SlotTicket(() => {
      order.push(i);
      if (i % 2 === 1) slots.release(ticket);
    });
    all.push(ticket);
  }
  for (const x of all) slots.enter(x);
  t.same(order, [0], 'only the first runs while it holds the slot');
  slots.release(all[0]);
  t.same(order, [0, 1, 2], 'the slot passed from 0 to 1, which released it at once, to 2');
  for (let i = 2; i < 50; i += 2) slots.release(all[i]);
  t.equal(order.length, 50, 'every ticket started once');
  t.same([slots.activeCount, slots.queuedCount], [0, 0]);
});

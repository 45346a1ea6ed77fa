// At most `maxActive` requests on the wire to one peer at a time; the rest wait their turn in arrival order, at
// most `maxQueued` of them, and past that a request is refused at once (the caller answers 503 load-shed). What
// it bounds is the number of connections a pool opens to the peer (HTTP/1.1 carries one request at a time per
// connection), so a burst of requests cannot become a burst of TLS handshakes (http1-upstream.ts says why).

/**
 * A request's place: `new` until it enters, `queued` while it waits, `started` once it holds a slot, `refused` if
 * the queue was full, `withdrawn` if it left the queue before it started.
 */
export type SlotState = 'new' | 'queued' | 'started' | 'released' | 'refused' | 'withdrawn';

export class SlotTicket {
  state: SlotState = 'new';

  constructor(readonly start: () => void) {}
}

export class RequestSlots {
  private active = 0;
  private readonly queue: SlotTicket[] = [];
  /** Index of the queue's head: shifting an array per request would copy it. */
  private head = 0;
  /** Tickets in the queue that are still waiting (withdrawn ones stay until they reach the head). */
  private waiting = 0;

  constructor(
    readonly maxActive: number,
    readonly maxQueued: number,
  ) {}

  get activeCount(): number {
    return this.active;
  }

  get queuedCount(): number {
    return this.waiting;
  }

  /**
   * Runs the ticket's `start` now when a slot is free, else once one is; false when the queue is full (shed the
   * request). Whoever started must `release` the ticket exactly once when the request is over.
   */
  enter(ticket: SlotTicket): boolean {
    if (this.active < this.maxActive) {
      this.begin(ticket);
      return true;
    }
    if (this.waiting >= this.maxQueued) {
      ticket.state = 'refused';
      return false;
    }
    ticket.state = 'queued';
    this.queue.push(ticket);
    this.waiting++;
    return true;
  }

  /** The request is over (answered, failed, or cut off): its slot goes to the next one waiting. */
  release(ticket: SlotTicket): void {
    if (ticket.state !== 'started') return;
    ticket.state = 'released';
    this.active--;
    this.next();
  }

  /** The request left the queue before it started (its client went away). True if it was still waiting. */
  withdraw(ticket: SlotTicket): boolean {
    if (ticket.state !== 'queued') return false;
    ticket.state = 'withdrawn';
    this.waiting--;
    return true;
  }

  private next(): void {
    while (this.active < this.maxActive && this.head < this.queue.length) {
      const ticket = this.queue[this.head++];
      if (ticket.state !== 'queued') continue;
      this.waiting--;
      this.begin(ticket);
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  private begin(ticket: SlotTicket): void {
    ticket.state = 'started';
    this.active++;
    ticket.start();
  }
}

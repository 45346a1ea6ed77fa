// Streams that ask about the same target share one topic: the state is computed once per change and the same
// messages go to every subscriber. Changes are gathered for one turn of the event loop before topics are
// recomputed, so a burst of watch events (a relist, a rollout) costs one pass per topic.
import { changeKey, ClusterSource, Resolution, Target, targetId } from '../cluster/types';

export interface Feed<State, Message> {
  read(resolution: Resolution): State;
  /** Messages that take a subscriber from `from` (undefined: nothing sent yet) to `to`. */
  changes(from: State | undefined, to: State): Message[];
}

interface Topic<State, Message> {
  target: Target;
  changeKey: string;
  state: State;
  subscribers: Set<(message: Message) => void>;
}

export class Topics<State, Message> {
  private readonly byId = new Map<string, Topic<State, Message>>();
  private readonly byChangeKey = new Map<string, Set<Topic<State, Message>>>();
  private dirty: Set<string> | 'all' = new Set();
  private flushScheduled = false;

  constructor(
    private readonly source: ClusterSource,
    private readonly feed: Feed<State, Message>,
  ) {
    source.onChange((keys) => this.markDirty(keys));
  }

  get topicCount(): number {
    return this.byId.size;
  }

  /** Sends the target's current state to `send` at once, then every change; returns how to stop. */
  subscribe(target: Target, send: (message: Message) => void): () => void {
    const id = targetId(target);
    let topic = this.byId.get(id);
    if (!topic) {
      topic = { target, changeKey: changeKey(target), state: this.feed.read(this.source.resolve(target)), subscribers: new Set() };
      this.byId.set(id, topic);
      let sameKey = this.byChangeKey.get(topic.changeKey);
      if (!sameKey) this.byChangeKey.set(topic.changeKey, (sameKey = new Set()));
      sameKey.add(topic);
    }
    for (const message of this.feed.changes(undefined, topic.state)) send(message);
    topic.subscribers.add(send);
    const subscribed = topic;
    return () => this.unsubscribe(id, subscribed, send);
  }

  private unsubscribe(id: string, topic: Topic<State, Message>, send: (message: Message) => void): void {
    topic.subscribers.delete(send);
    if (topic.subscribers.size > 0 || this.byId.get(id) !== topic) return;
    this.byId.delete(id);
    const sameKey = this.byChangeKey.get(topic.changeKey);
    sameKey?.delete(topic);
    if (sameKey?.size === 0) this.byChangeKey.delete(topic.changeKey);
  }

  private markDirty(keys: ReadonlySet<string> | 'all'): void {
    if (keys === 'all') this.dirty = 'all';
    else if (this.dirty !== 'all') for (const key of keys) this.dirty.add(key);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    const dirty = this.dirty;
    this.dirty = new Set();
    this.flushScheduled = false;
    const topics = dirty === 'all' ? this.byId.values() : [...dirty].flatMap((key) => [...(this.byChangeKey.get(key) ?? [])]);
    for (const topic of topics) {
      const next = this.feed.read(this.source.resolve(topic.target));
      const messages = this.feed.changes(topic.state, next);
      topic.state = next;
      // A copy: a subscriber that fails while being sent to leaves the set.
      for (const send of [...topic.subscribers]) for (const message of messages) send(message);
    }
  }
}

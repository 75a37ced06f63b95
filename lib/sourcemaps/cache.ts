/**
 * A least-recently-used cache bounded by the summed weight (bytes) of its values, not by their
 * count: one parsed 5 MB source map weighs as much as hundreds of small ones. Each value belongs
 * to a group (a tenant) that may hold at most `maxGroupBytes` of it: past that, the group's own
 * oldest values go first, so one tenant's flood cannot evict everyone else's. A value heavier
 * than its group's share is not kept at all.
 */
export class ByteLru<K, V> {
  private readonly entries = new Map<K, { value: V; weight: number; group: string }>();
  private readonly groups = new Map<string, number>();
  private total = 0;

  constructor(
    readonly maxBytes: number,
    readonly maxGroupBytes = maxBytes,
  ) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // a Map iterates in insertion order: re-inserting makes it the most recent
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Whether the value is kept: false when it is heavier than a group may hold. */
  set(key: K, value: V, weight: number, group = ""): boolean {
    this.delete(key);
    if (weight > this.maxGroupBytes || weight > this.maxBytes) return false;
    this.entries.set(key, { value, weight, group });
    this.add(group, weight);
    this.evict(group);
    return true;
  }

  /** A kept value came to weigh `delta` more (or less); the bounds hold again after it. */
  resize(key: K, delta: number): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.weight += delta;
    this.add(entry.group, delta);
    this.evict(entry.group);
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.add(entry.group, -entry.weight);
  }

  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The bytes a group holds. */
  groupBytes(group: string): number {
    return this.groups.get(group) ?? 0;
  }

  clear(): void {
    this.entries.clear();
    this.groups.clear();
    this.total = 0;
  }

  private add(group: string, delta: number): void {
    this.total += delta;
    const bytes = (this.groups.get(group) ?? 0) + delta;
    if (bytes > 0) this.groups.set(group, bytes);
    else this.groups.delete(group);
  }

  /** The group's oldest values past its share, then anyone's oldest past the whole bound. */
  private evict(group: string): void {
    for (const [key, entry] of this.entries) {
      if (this.groupBytes(group) <= this.maxGroupBytes) break;
      if (entry.group === group) this.delete(key);
    }
    for (const [key] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.delete(key);
    }
  }
}

/**
 * Answers remembered for a short time, bounded in count (oldest dropped first). Used for what a
 * lookup found and did not find: a map uploaded after an event arrived applies to the events
 * that come once the answer has expired, without a query per frame meanwhile.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; expires: number }>();

  constructor(
    readonly ttlMs: number,
    readonly maxEntries: number,
  ) {}

  /** `undefined` when unknown or expired; a remembered `null` is a remembered miss. */
  get(key: K, now = Date.now()): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: K, value: V, now = Date.now()): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: now + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as K;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * Stream entries this process currently holds (buffered, being handled, or waiting to be retried), per
 * topic. Subscriptions of one component share the consumer name, so each sees the others' pending entries
 * when it reads its own history or reclaims; this keeps one process from delivering an entry twice at once.
 */
export class HeldEntries {
  readonly #byTopic = new Map<string, Set<string>>();

  /** False when the entry is already held. */
  hold(topic: string, id: string): boolean {
    let ids = this.#byTopic.get(topic);
    if (ids === undefined) {
      ids = new Set();
      this.#byTopic.set(topic, ids);
    }
    if (ids.has(id)) return false;
    ids.add(id);
    return true;
  }

  release(topic: string, id: string): void {
    const ids = this.#byTopic.get(topic);
    if (ids?.delete(id) && ids.size === 0) this.#byTopic.delete(topic);
  }
}

import type { Logger } from '@daprkit/component-sdk';
import type { TopicPartitionOffsetAndMetadata } from 'kafkajs';

/** Least time between the starts of two commits while acks keep coming. */
export const COMMIT_INTERVAL_MS = 200;

/**
 * Commits the offsets of acknowledged messages in batches: one OffsetCommit request in flight at a time,
 * carrying the latest acknowledged offset of every partition acked since the previous one, and at most one
 * every COMMIT_INTERVAL_MS while messages keep coming (the first after a quiet spell goes out at once).
 * sarama, under contrib, auto-commits marked offsets every second; committing after every message cost the
 * delivery path a request per few messages. Only acknowledged offsets are ever recorded, and a partition is handled serially, so a
 * commit never passes a message that was not acknowledged. A crash can lose at most the batch in flight:
 * those messages are delivered again (at-least-once); `flush()` before leaving the group loses nothing.
 */
export class OffsetCommitter {
  /** topic → partition → next offset to consume. */
  private readonly pending = new Map<string, Map<number, string>>();
  private running: Promise<void> | undefined;
  /** Set by flush(): commit what is pending without waiting for the interval. */
  private urgent = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly commit: (offsets: TopicPartitionOffsetAndMetadata[]) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /** Records that the message at `offset` was handled; the partition resumes after it. */
  acknowledged(topic: string, partition: number, offset: string): void {
    const next = (BigInt(offset) + 1n).toString();
    const partitions = this.pending.get(topic);
    if (partitions === undefined) this.pending.set(topic, new Map([[partition, next]]));
    else partitions.set(partition, next);
    this.running ??= this.run();
  }

  /** Resolves once everything acknowledged so far has been sent (or failed and been logged). */
  flush(): Promise<void> {
    if (this.running === undefined) return Promise.resolve();
    this.urgent = true;
    this.wake?.();
    return this.running;
  }

  private async run(): Promise<void> {
    while (this.pending.size > 0) {
      const offsets: TopicPartitionOffsetAndMetadata[] = [];
      for (const [topic, partitions] of this.pending) {
        for (const [partition, offset] of partitions) offsets.push({ topic, partition, offset });
      }
      this.pending.clear();
      const started = Date.now();
      try {
        await this.commit(offsets);
      } catch (err) {
        // The group may have rebalanced; the next owner starts at the last committed offset (duplicates, not loss).
        this.logger.warn('could not commit offsets of handled kafka messages; they may be delivered again', {
          partitions: offsets.length,
          error: err instanceof Error ? err.message : String(err),
        });
      }
      if (this.pending.size > 0 && !this.urgent) await this.waitUntil(started + COMMIT_INTERVAL_MS);
    }
    this.urgent = false;
    this.running = undefined;
  }

  /** Sleeps until `at`, or until flush() asks for the commit at once. */
  private waitUntil(at: number): Promise<void> {
    const delayMs = at - Date.now();
    if (delayMs <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, delayMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}

import type { Logger } from '@daprkit/component-sdk';
import type { TopicPartitionOffsetAndMetadata } from 'kafkajs';

/**
 * Commits the offsets of acknowledged messages in small, self-clocked batches: one OffsetCommit request in
 * flight at a time, carrying the latest acknowledged offset of every partition acked while the previous one
 * was under way. Only acknowledged offsets are ever recorded, and a partition is handled serially, so a
 * commit never passes a message that was not acknowledged. A crash can lose at most the batch in flight:
 * those messages are delivered again (at-least-once); `flush()` before leaving the group loses nothing.
 */
export class OffsetCommitter {
  /** topic → partition → next offset to consume. */
  private readonly pending = new Map<string, Map<number, string>>();
  private running: Promise<void> | undefined;

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
    return this.running ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    while (this.pending.size > 0) {
      const offsets: TopicPartitionOffsetAndMetadata[] = [];
      for (const [topic, partitions] of this.pending) {
        for (const [partition, offset] of partitions) offsets.push({ topic, partition, offset });
      }
      this.pending.clear();
      try {
        await this.commit(offsets);
      } catch (err) {
        // The group may have rebalanced; the next owner starts at the last committed offset (duplicates, not loss).
        this.logger.warn('could not commit offsets of handled kafka messages; they may be delivered again', {
          partitions: offsets.length,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    this.running = undefined;
  }
}

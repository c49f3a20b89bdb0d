/** A FIFO queue with O(1) take (Array#shift is O(n) on long queues). */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  /** Removes the oldest item. */
  drop(): void {
    if (this.size === 0) return;
    this.items[this.head++] = undefined;
    // Compact once the consumed part dominates, so memory follows the live size.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

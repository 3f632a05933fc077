/** A FIFO async mutex: one holder at a time, waiters served in order. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    let release!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((r) => (release = r));
    try {
      await previous;
      return await fn();
    } finally {
      release();
    }
  }
}

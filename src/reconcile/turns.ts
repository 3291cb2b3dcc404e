/**
 * Runs tasks one at a time per key, in the order they asked, with no limit across keys. Two
 * writers of one Application's status (its reconcile and a health update) must not interleave:
 * the later request to reach the apiserver would win whatever it holds.
 */
export class KeyedTurns {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const mine = before.then(task, task);
    const tail = mine.catch(() => undefined);
    this.tails.set(key, tail);
    // The last in line removes the key, so finished keys are not remembered.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return mine;
  }

  /** Keys with a task running or waiting. */
  size(): number {
    return this.tails.size;
  }
}

import type { KubeObject } from '../../api/object.js';
import type { AssignmentStatus } from '../assignment.js';
import type { HubClient } from './hub.js';

/**
 * The statuses owed to the hub: each Assignment's latest, written once, one at a time, while
 * the hub answers. What fails stays owed; a resync after the hub is back writes everything.
 */
export class StatusPusher {
  /** The status last written to each Assignment, as JSON. */
  private readonly pushed = new Map<string, string>();
  private readonly pending = new Map<string, AssignmentStatus>();
  private flushing = false;

  constructor(
    private readonly hub: HubClient,
    /** Whether to write now: the hub answers and the agent runs. */
    private readonly canPush: () => boolean,
    private readonly onFailure: (e: unknown) => void,
  ) {}

  /** Owes `status` to Assignment `name`, unless it is what the hub has already. */
  queue(name: string, status: AssignmentStatus): void {
    if (this.pushed.get(name) === JSON.stringify(status)) return;
    this.pending.set(name, status);
    void this.flush();
  }

  forget(name: string): void {
    this.pushed.delete(name);
    this.pending.delete(name);
  }

  /** Forgets what was written: after a partition the hub may hold anything. */
  reset(): void {
    this.pushed.clear();
  }

  /** Writes everything owed now, whatever canPush says; throws what the hub answered. */
  async pushAll(): Promise<void> {
    for (const [name, status] of [...this.pending]) {
      await this.hub.writeAssignmentStatus(name, status);
      this.pending.delete(name);
      this.pushed.set(name, JSON.stringify(status));
    }
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (const [name, status] of this.pending) {
        if (!this.canPush()) return;
        this.pending.delete(name);
        try {
          await this.hub.writeAssignmentStatus(name, status);
          this.pushed.set(name, JSON.stringify(status));
        } catch (e) {
          if (!this.pending.has(name)) this.pending.set(name, status);
          this.onFailure(e);
          return;
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}

/** The status of an Assignment the agent will not run: Ready=False and Stalled, with why. */
export function refusedStatus(a: KubeObject, reason: string, message: string): AssignmentStatus {
  const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const generation = a.metadata['generation'];
  const gen = typeof generation === 'number' ? { observedGeneration: generation } : {};
  const cond = (type: 'Ready' | 'Stalled', status: 'True' | 'False') => ({
    type,
    status,
    reason,
    message: message.slice(0, 1024),
    lastTransitionTime: time,
    ...gen,
  });
  return { ...gen, conditions: [cond('Ready', 'False'), cond('Stalled', 'True')] };
}

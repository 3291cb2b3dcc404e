/** Small shared pieces: links, status words with icons, alerts, times. */
import type { ComponentChildren } from 'preact';
import type { HealthStatus, SyncStatus } from '../../../src/ui/api.js';
import { ApiError } from '../client.js';
import { onLinkClick } from '../router.js';

export function Link(props: { href: string; children: ComponentChildren; class?: string }) {
  return (
    <a
      href={props.href}
      class={props.class}
      onClick={(ev) => {
        onLinkClick(ev, props.href);
      }}
    >
      {props.children}
    </a>
  );
}

// The icon is decoration beside the word; the word carries the meaning (never colour alone).
const HEALTH_ICON: Record<HealthStatus, string> = {
  Healthy: '♥',
  Progressing: '◔',
  Degraded: '✖',
  Suspended: '‖',
  Missing: '⊘',
  Unknown: '?',
};

const SYNC_ICON: Record<SyncStatus, string> = { Synced: '✔', OutOfSync: '⟳', Unknown: '?' };

/** `hidden`: left out of the accessible name of its container, which names it as a description. */
export function Health(props: { value: HealthStatus; id?: string; hidden?: boolean }) {
  return (
    <span
      class={`status health-${props.value}`}
      id={props.id}
      aria-hidden={props.hidden ? 'true' : undefined}
    >
      <span class="icon" aria-hidden="true">
        {HEALTH_ICON[props.value]}
      </span>
      {props.value}
    </span>
  );
}

export function Sync(props: { value: SyncStatus | undefined }) {
  if (!props.value) return <span class="status muted">not managed</span>;
  return (
    <span class={`status sync-${props.value}`}>
      <span class="icon" aria-hidden="true">
        {SYNC_ICON[props.value]}
      </span>
      {props.value}
    </span>
  );
}

export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export function ErrorAlert(props: { error: unknown }) {
  if (props.error === undefined || props.error === null) return null;
  return (
    <p role="alert" class="alert">
      {messageOf(props.error)}
    </p>
  );
}

export function shortSha(sha: string | undefined): string {
  return sha ? sha.slice(0, 7) : '';
}

// One formatter for every timestamp: toLocaleString() builds a new one per call, which shows in a
// list of 500 rows.
const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function Time(props: { value: string | undefined }) {
  if (!props.value) return <span class="muted">—</span>;
  const d = new Date(props.value);
  if (Number.isNaN(d.getTime())) return <span>{props.value}</span>;
  return (
    <time dateTime={props.value} title={props.value}>
      {timeFormat.format(d)}
    </time>
  );
}

export function Loading() {
  return (
    <p role="status" class="muted">
      Loading…
    </p>
  );
}

import { formatRef, refOf, type KubeObject, type Origin } from '../api/object.js';
import { formatSubject } from './errors.js';
import type { RenderedObject } from './types.js';
import { substituteText, type TextBudget, type TextProblem } from './substitute-text.js';

/** Objects annotated with this and the value `disabled` are left out of variable substitution. */
export const substituteAnnotation = 'ballast.dev/substitute';

/** Limits on one substitution run. */
export interface SubstituteOptions {
  /**
   * Most characters variables and defaults may add to one object (or one Helm values tree).
   * Without it a 1 MiB variable referenced a thousand times in one object would build 1 GiB;
   * an object the apiserver can store is far smaller than the default.
   */
  maxAddedChars: number;
  /** Problems reported before stopping: enough to fix several at once, bounded so the message stays short. */
  maxProblems: number;
}

export function defaultSubstituteOptions(): SubstituteOptions {
  return { maxAddedChars: 2 * 1024 * 1024, maxProblems: 20 };
}

/** Where a problem is: the file and object for rendered manifests, and the field inside. */
export interface Where {
  /** The file (relative to the repository root) and line the object came from. */
  origin?: Origin;
  /** The object, as formatRef names it (`Deployment.apps/shop/web`). */
  object?: string;
  /** The field, e.g. `spec.template.spec.containers[0].image`, or the Helm values path. */
  path: string;
}

export type SubstitutionProblem = TextProblem & { at: Where };

export type SubstituteResult<T> =
  | { kind: 'ok'; value: T; steps: number }
  | { kind: 'error'; problems: SubstitutionProblem[]; message: string; steps: number };

/** One step of the field path: a key, or a list index. */
interface PathLink {
  parent: PathLink | undefined;
  key: string | number;
}

interface Item {
  value: unknown;
  container: Record<string, unknown> | unknown[];
  key: string | number;
  link: PathLink | undefined;
}

const plainKey = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;
/** Path segments kept at each end of a very deep path; the middle is elided. */
const pathEnds = 32;

function formatPath(base: string, link: PathLink | undefined): string {
  const keys: (string | number)[] = [];
  for (let l = link; l !== undefined; l = l.parent) keys.push(l.key);
  keys.reverse();
  let out = base;
  const append = (k: string | number): void => {
    if (typeof k === 'number') out += `[${k}]`;
    else if (!plainKey.test(k)) out += `[${JSON.stringify(k)}]`;
    else out += out === '' ? k : `.${k}`;
  };
  if (keys.length <= 2 * pathEnds) keys.forEach(append);
  else {
    keys.slice(0, pathEnds).forEach(append);
    out += '…';
    keys.slice(-pathEnds).forEach(append);
  }
  return out;
}

function put(
  container: Record<string, unknown> | unknown[],
  key: string | number,
  v: unknown,
): void {
  if (Array.isArray(container)) container[key as number] = v;
  // Defined, not assigned: a key named __proto__ must stay a key, not become the prototype.
  else if (key === '__proto__')
    Object.defineProperty(container, key, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else container[key] = v;
}

interface WalkContext {
  variables: ReadonlyMap<string, string>;
  opts: SubstituteOptions;
  problems: SubstitutionProblem[];
  steps: number;
}

/**
 * A copy of `root` with every string value substituted; keys are kept as they are. Walks with
 * its own stack, so nesting depth cannot overflow the call stack.
 */
function walk(
  root: unknown,
  ctx: WalkContext,
  where: Omit<Where, 'path'> & { base: string },
): unknown {
  const holder: Record<string, unknown> = {};
  const budget: TextBudget = {
    remaining: ctx.opts.maxAddedChars,
    limit: ctx.opts.maxAddedChars,
    steps: 0,
  };
  const stack: Item[] = [{ value: root, container: holder, key: 'value', link: undefined }];
  while (stack.length > 0 && ctx.problems.length < ctx.opts.maxProblems) {
    const item = stack.pop() as Item;
    budget.steps += 1;
    const v = item.value;
    if (typeof v === 'string') {
      const left = ctx.opts.maxProblems - ctx.problems.length;
      const r = substituteText(v, ctx.variables, budget, left);
      if (r.kind === 'ok') put(item.container, item.key, r.text);
      else {
        const { base, ...rest } = where;
        const at: Where = { ...rest, path: formatPath(base, item.link) };
        for (const p of r.problems) ctx.problems.push({ ...p, at });
        if (r.problems.some((p) => p.kind === 'too-large')) break;
      }
    } else if (Array.isArray(v)) {
      const copy: unknown[] = new Array<unknown>(v.length);
      put(item.container, item.key, copy);
      for (let i = v.length - 1; i >= 0; i -= 1)
        stack.push({ value: v[i], container: copy, key: i, link: { parent: item.link, key: i } });
    } else if (typeof v === 'object' && v !== null) {
      const copy: Record<string, unknown> = {};
      put(item.container, item.key, copy);
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i -= 1) {
        const [k, child] = entries[i] as [string, unknown];
        stack.push({ value: child, container: copy, key: k, link: { parent: item.link, key: k } });
      }
    } else put(item.container, item.key, v);
  }
  ctx.steps += budget.steps;
  return holder['value'];
}

const toMap = (variables: Readonly<Record<string, string>>): ReadonlyMap<string, string> =>
  // Own entries only: `${constructor}` must not find Object.prototype.constructor.
  new Map(Object.entries(variables));

function hint(variable: string): string {
  const dflt = `or give a default: \${${variable}:=value}`;
  for (const [prefix, what] of [
    ['cluster_label_', 'label'],
    ['cluster_annotation_', 'annotation'],
  ] as const) {
    if (variable.startsWith(prefix))
      return (
        `the Cluster has no ${what} whose key gives this name, or more than one (a key becomes ` +
        `${prefix}<key> with each character other than A-Z, a-z, 0-9 and _ replaced by _); ` +
        `${what} the Cluster ${dflt}`
      );
  }
  return (
    'set it in spec.postBuild.substitute (for a FleetApplication, in a spec.values entry whose ' +
    `clusterSelector matches this Cluster), ${dflt}`
  );
}

/** One problem as a sentence: `file:line: Kind/ns/name: field: what is wrong; what to do`. */
export function formatSubstitutionProblem(p: SubstitutionProblem): string {
  const where = [
    ...(p.at.origin === undefined ? [] : [formatSubject(p.at.origin.file, p.at.origin.line)]),
    ...(p.at.object === undefined ? [] : [p.at.object]),
    ...(p.at.path === '' ? [] : [p.at.path]),
  ].join(': ');
  const what =
    p.kind === 'unset'
      ? `variable ${p.variable} is not set; ${hint(p.variable)}`
      : p.kind === 'malformed'
        ? `'${p.reference}' is not a variable reference: write \${name} or \${name:=default} ` +
          '(a name is a letter or _, then letters, digits or _), or $${ for a literal ${'
        : `variables would add more than ${p.limit} characters to it; use shorter values or fewer references`;
  return where === '' ? what : `${where}: ${what}`;
}

function finish<T>(ctx: WalkContext, value: T): SubstituteResult<T> {
  if (ctx.problems.length === 0) return { kind: 'ok', value, steps: ctx.steps };
  const stopped =
    ctx.problems.length >= ctx.opts.maxProblems
      ? [`stopped after ${ctx.opts.maxProblems} problems`]
      : [];
  const message = [...ctx.problems.map(formatSubstitutionProblem), ...stopped].join('; ');
  return { kind: 'error', problems: ctx.problems, message, steps: ctx.steps };
}

/**
 * Substitutes a cluster's variables into rendered manifests, in process, after render. Only
 * string values change, never keys, and a value is put in as a string: a label value holding
 * YAML (`"x\n  evil: y"`) stays one string and cannot add a field, as it could with Flux's
 * substitution of the YAML text. Objects annotated `ballast.dev/substitute: disabled` are kept
 * as rendered. Every problem names the file, the object, the field and the variable.
 */
export function substituteObjects(
  objects: readonly RenderedObject[],
  variables: Readonly<Record<string, string>>,
  partial: Partial<SubstituteOptions> = {},
): SubstituteResult<RenderedObject[]> {
  const ctx: WalkContext = {
    variables: toMap(variables),
    opts: { ...defaultSubstituteOptions(), ...partial },
    problems: [],
    steps: 0,
  };
  const out: RenderedObject[] = [];
  for (const o of objects) {
    if (ctx.problems.length >= ctx.opts.maxProblems) break;
    if (o.object.metadata.annotations?.[substituteAnnotation] === 'disabled') {
      out.push(o);
      continue;
    }
    const where = { origin: o.origin, object: formatRef(refOf(o.object)), base: '' };
    out.push({ object: walk(o.object, ctx, where) as KubeObject, origin: o.origin });
  }
  return finish(ctx, out);
}

/**
 * The same substitution in inline Helm values, before they reach helm: string values only,
 * problems named by their path under `path`.
 */
export function substituteHelmValues(
  values: Readonly<Record<string, unknown>>,
  variables: Readonly<Record<string, string>>,
  partial: Partial<SubstituteOptions> = {},
  path = 'spec.application.source.helm.values',
): SubstituteResult<Record<string, unknown>> {
  const ctx: WalkContext = {
    variables: toMap(variables),
    opts: { ...defaultSubstituteOptions(), ...partial },
    problems: [],
    steps: 0,
  };
  const value = walk(values, ctx, { base: path }) as Record<string, unknown>;
  return finish(ctx, value);
}

import { helmRenderer } from './helm.js';
import { kustomizeRenderer } from './kustomize.js';
import type { RenderOptions } from './options.js';
import { plainRenderer } from './plain.js';
import { RenderPool, workerAvailable } from './pool.js';
import { renderHere } from './render-here.js';
import { SubstitutionFailedError } from './errors.js';
import { substituteHelmValues, substituteObjects, type SubstitutionProblem } from './substitute.js';
import { failed, type RenderResult, type RenderSource } from './types.js';

export * from './errors.js';
export * from './options.js';
export * from './types.js';
export { detectRenderer, kustomizationFileNames, rendererFor } from './detect.js';
export { startRenderSandboxSweeper } from './scratch.js';
export { helmRenderer, kustomizeRenderer, plainRenderer };

export { renderers, renderHere } from './render-here.js';
export { defaultRenderPoolOptions, RenderPool, type RenderPoolOptions } from './pool.js';
export {
  defaultSubstituteOptions,
  formatSubstitutionProblem,
  substituteAnnotation,
  substituteHelmValues,
  substituteObjects,
  type SubstituteOptions,
  type SubstituteResult,
  type SubstitutionProblem,
  type Where,
} from './substitute.js';

let pool: RenderPool | undefined;

/**
 * Renders one application: picks the renderer (forced by `options.renderer`, else by the
 * directory's marker file) and runs it. Never throws; every failure is a `RenderFailed`.
 *
 * The work runs on a render worker thread whenever the compiled worker exists (it does not
 * when running from TypeScript sources, as unit tests do): parsing a hostile tree can take
 * seconds of CPU, and the controller's thread must keep answering /healthz, healing drift
 * and reconciling every other Application meanwhile.
 *
 * With `options.substitute`, the variables go into the inline Helm values first and into the
 * rendered objects after, here on the calling thread: the controller, the agent and `ballast
 * sync` share this one path.
 */
export async function render(source: RenderSource, options: RenderOptions): Promise<RenderResult> {
  const { substitute, ...rest } = options;
  if (substitute === undefined) return renderTree(source, rest);
  // Before helm, so a chart sees the cluster's values; after render, on the objects themselves.
  const at = (problems: readonly SubstitutionProblem[]): { file: string; line?: number } =>
    problems[0]?.at.origin ?? { file: source.path === '' ? '.' : source.path };
  const values = substituteHelmValues(rest.helm.values, substitute, {}, 'spec.source.helm.values');
  if (values.kind === 'error')
    return failed(new SubstitutionFailedError(at(values.problems), values.message));
  const rendered = await renderTree(source, {
    ...rest,
    helm: { ...rest.helm, values: values.value },
  });
  if (rendered.kind === 'error') return rendered;
  const objects = substituteObjects(rendered.objects, substitute);
  if (objects.kind === 'error')
    return failed(new SubstitutionFailedError(at(objects.problems), objects.message));
  return { ...rendered, objects: objects.value };
}

function renderTree(source: RenderSource, options: RenderOptions): Promise<RenderResult> {
  if (!workerAvailable()) return renderHere(source, options);
  pool ??= new RenderPool();
  return pool.render(source, options);
}

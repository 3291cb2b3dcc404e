import { isSealedSecret, unsealSecret } from '../secrets/sealed/index.js';
import { UnsealFailedError } from './errors.js';
import type { RenderOptions } from './options.js';
import { failed, type RenderedObject, type RenderResult } from './types.js';

/**
 * Each SealedSecret among the rendered objects becomes the Secret it describes, in memory,
 * keeping its origin so errors and diffs still point at the file. The SealedSecret itself is
 * not applied: Ballast is the controller that opens it. One that no key opens fails the render.
 */
export function unsealRendered(result: RenderResult, options: RenderOptions): RenderResult {
  if (result.kind === 'error' || !result.objects.some((o) => isSealedSecret(o.object)))
    return result;
  const objects: RenderedObject[] = [];
  for (const r of result.objects) {
    if (!isSealedSecret(r.object)) {
      objects.push(r);
      continue;
    }
    const namespace = r.object.metadata.namespace ?? options.helm.namespace;
    const opened = unsealSecret(r.object, namespace, options.sealing ?? { keys: [] });
    if (opened.kind === 'error')
      return failed(
        new UnsealFailedError(
          { file: r.origin.file, line: r.origin.line, object: r.object },
          opened.problem,
        ),
      );
    objects.push({ object: opened.secret, origin: r.origin });
  }
  return { ...result, objects };
}

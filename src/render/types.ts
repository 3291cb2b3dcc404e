import type { KubeObject, Origin } from '../api/object.js';
import { RenderIoError, type AnyRenderError } from './errors.js';
import type { RenderOptions } from './options.js';

export type RendererName = 'plain' | 'kustomize' | 'helm';

/** What to render: one application directory inside one checked-out repository tree. */
export interface RenderSource {
  /** The repository checkout. Nothing outside it is ever read. */
  repoRoot: string;
  /** The application's directory relative to `repoRoot`; `''` or `.` is the root itself. */
  path: string;
}

/** One desired object and the place in the repository it came from. */
export interface RenderedObject {
  object: KubeObject;
  origin: Origin;
}

export interface RenderOk {
  kind: 'ok';
  renderer: RendererName;
  /** In the renderer's output order, which is stable for the same tree and options. */
  objects: RenderedObject[];
  /** Non-fatal notes from the tools (deprecated kustomize fields and the like), for the reconciler to narrate. */
  warnings: string[];
}

export interface RenderFailed {
  kind: 'error';
  error: AnyRenderError;
}

export type RenderResult = RenderOk | RenderFailed;

/**
 * A way of turning a directory into objects. Every implementation confines itself to the
 * repository, never throws, and passes the shared contract suite in `contract.ts`.
 */
export interface Renderer {
  readonly name: RendererName;
  render(source: RenderSource, options: RenderOptions): Promise<RenderResult>;
}

export function failed(error: AnyRenderError): RenderFailed {
  return { kind: 'error', error };
}

/**
 * Builds a Renderer whose `render` keeps the never-throws promise even for the unexpected (a
 * bug, a vanished temp directory): such a throw becomes a RenderIoError about the app path.
 */
export function defineRenderer(
  name: RendererName,
  render: (source: RenderSource, options: RenderOptions) => Promise<RenderResult>,
): Renderer {
  return {
    name,
    async render(source, options) {
      try {
        return await render(source, options);
      } catch (e) {
        const file = source.path === '' ? '.' : source.path;
        return failed(
          new RenderIoError(
            { file, cause: e },
            `${name} rendering failed unexpectedly: ${String(e)}`,
          ),
        );
      }
    },
  };
}

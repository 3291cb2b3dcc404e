import { openApp } from './confine.js';
import { detectRenderer } from './detect.js';
import { RenderIoError } from './errors.js';
import { helmRenderer } from './helm.js';
import { kustomizeRenderer } from './kustomize.js';
import type { RenderOptions } from './options.js';
import { plainRenderer } from './plain.js';
import { unsealRendered } from './sealed.js';
import {
  failed,
  type Renderer,
  type RendererName,
  type RenderResult,
  type RenderSource,
} from './types.js';

export const renderers: Readonly<Record<RendererName, Renderer>> = {
  plain: plainRenderer,
  kustomize: kustomizeRenderer,
  helm: helmRenderer,
};

/**
 * Renders one application on the calling thread: picks the renderer (forced by
 * `options.renderer`, else by the directory's marker file) and runs it, then turns each
 * SealedSecret into its Secret, here on the worker, since RSA decryption costs CPU. Never throws.
 */
export async function renderHere(
  source: RenderSource,
  options: RenderOptions,
): Promise<RenderResult> {
  try {
    let name = options.renderer;
    if (name === 'auto') {
      // Detection reads the directory, so the path is confined before anything looks inside it.
      const opened = await openApp(source.repoRoot, source.path);
      if (opened.kind === 'error') return opened;
      name = await detectRenderer(opened.value.app.real);
    }
    return unsealRendered(await renderers[name].render(source, options), options);
  } catch (e) {
    // The renderers turn every expected failure into a value; this is the net for the unexpected.
    const file = source.path === '' ? '.' : source.path;
    return failed(
      new RenderIoError({ file, cause: e }, `rendering failed unexpectedly: ${String(e)}`),
    );
  }
}

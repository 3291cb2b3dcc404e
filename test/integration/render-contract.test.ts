import { helmLayout, kustomizeLayout, rendererContract } from '../../src/render/contract.js';
import { helmRenderer, kustomizeRenderer } from '../../src/render/index.js';
import { defaultRenderOptions } from '../../src/render/options.js';

// The same behaviours the plain renderer passes in the unit tests, against the real binaries.
rendererContract({
  renderer: kustomizeRenderer,
  layout: kustomizeLayout,
  options: defaultRenderOptions,
});
rendererContract({ renderer: helmRenderer, layout: helmLayout, options: defaultRenderOptions });

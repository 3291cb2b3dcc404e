import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { refKey, refOf } from '../api/object.js';
import { openApp, type ConfinedPath } from './confine.js';
import { checkKustomizeTree } from './kustomize-refs.js';
import { LineFinder, originFiles, originWrapper } from './kustomize-origin.js';
import { finish, textObjects } from './objects.js';
import { withPlaintextTree } from './sops.js';
import type { RenderOptions } from './options.js';
import { runTool, withSandbox, type Sandbox, type ToolResult } from './tool.js';
import {
  defineRenderer,
  type RenderedObject,
  type Renderer,
  type RenderResult,
  type RenderSource,
} from './types.js';
import { parseDocuments } from './yaml.js';

/**
 * Files may only be loaded from inside each kustomization's own directory (kustomize's
 * default, made explicit so a changed default cannot widen it). Plugins, exec functions and
 * helm inflation stay off because their flags are never passed.
 */
const restrictorArgs = ['--load-restrictor', 'LoadRestrictionsRootOnly'];

/** `kustomize build` of the application directory, with remote bases refused. */
export const kustomizeRenderer: Renderer = defineRenderer(
  'kustomize',
  async (source: RenderSource, options: RenderOptions): Promise<RenderResult> => {
    const opened = await openApp(source.repoRoot, source.path);
    if (opened.kind === 'error') return opened;
    const { root, app } = opened.value;
    const checked = await checkKustomizeTree(root, app, options.limits);
    if (checked.kind === 'error') return checked;
    const fallback = { file: checked.kustomizationFile, line: 1 };
    return withPlaintextTree(root, checked.files, options, (buildRoot, redact) => {
      // In a decrypted copy the same relative paths hold, so origins and messages stay the same.
      const buildApp = { rel: app.rel, real: join(buildRoot, relative(root, app.real)) };
      return withSandbox(async (sandbox) => {
        const ctx = { sandbox, app: buildApp, root: buildRoot, options, redact };
        const [built, annotated] = await Promise.all([
          build(ctx, buildApp.real),
          options.kustomize.originAnnotations ? annotatedBuild(ctx) : undefined,
        ]);
        if (built.kind === 'error') return built;
        const found = textObjects(built.stdout, fallback.file, options.limits, () => fallback);
        if (found.kind === 'error') return found;
        const objects = found.objects;
        if (annotated?.kind === 'ok') {
          await locate(objects, annotated.stdout, sandbox, buildRoot, options);
        }
        return finish('kustomize', objects, built.warnings, options.limits, app.rel);
      });
    });
  },
);

interface BuildContext {
  sandbox: Sandbox;
  app: ConfinedPath;
  root: string;
  options: RenderOptions;
  /** Decrypted values kustomize's messages must not carry into errors. */
  redact: string[];
}

function build(ctx: BuildContext, target: string): Promise<ToolResult> {
  return runTool(
    {
      tool: 'kustomize',
      binary: ctx.options.kustomize.binary,
      args: ['build', target, ...restrictorArgs],
      sandbox: ctx.sandbox,
      subject: ctx.app.rel,
      root: ctx.root,
      redact: ctx.redact,
    },
    ctx.options,
  );
}

async function annotatedBuild(ctx: BuildContext): Promise<ToolResult> {
  const wrapper = join(ctx.sandbox.dir, 'origins');
  await mkdir(wrapper);
  await writeFile(join(wrapper, 'kustomization.yaml'), originWrapper(wrapper, ctx.app.real));
  return build(ctx, wrapper);
}

/** Replaces the fallback origins with the source files the annotated build names. */
async function locate(
  objects: RenderedObject[],
  annotatedOutput: string,
  sandbox: Sandbox,
  root: string,
  options: RenderOptions,
): Promise<void> {
  const parsed = parseDocuments(annotatedOutput, '', options.limits);
  if (parsed.kind === 'error') return;
  const files = originFiles(
    parsed.documents.map((d) => d.value),
    join(sandbox.dir, 'origins'),
    root,
  );
  const lines = new LineFinder(root);
  for (const entry of objects) {
    const file = files.get(refKey(refOf(entry.object)));
    if (file !== undefined) entry.origin = await lines.originOf(entry.object, file);
  }
}

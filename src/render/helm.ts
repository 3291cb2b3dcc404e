import { stat } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { findAliasBomb } from './alias-check.js';
import { confinePath, openApp, walkTree, type TreeFile } from './confine.js';
import { RenderIoError } from './errors.js';
import { finish, textObjects } from './objects.js';
import type { HelmOptions, RenderOptions } from './options.js';
import { runTool, withSandbox, type Sandbox } from './tool.js';
import {
  failed,
  type RenderFailed,
  type RenderedObject,
  defineRenderer,
  type Renderer,
  type RenderResult,
  type RenderSource,
} from './types.js';

/** The arguments of one `helm template`. Pure, so the exact command line is unit-tested. */
export function helmArgs(
  releaseName: string,
  chartDir: string,
  valuesFiles: readonly string[],
  helm: HelmOptions,
): string[] {
  const inline = Object.keys(helm.values).length > 0;
  return [
    'template',
    releaseName,
    chartDir,
    '--namespace',
    helm.namespace,
    '--include-crds',
    ...(helm.kubeVersion === undefined ? [] : ['--kube-version', helm.kubeVersion]),
    ...helm.apiVersions.flatMap((v) => ['--api-versions', v]),
    ...valuesFiles.flatMap((f) => ['--values', f]),
    // `-` makes helm read this values file from stdin, so inline values (which may hold
    // decrypted secrets) touch neither the disk nor the process table.
    ...(inline ? ['--values', '-'] : []),
  ];
}

/** One template's share of helm's output. */
export interface HelmSection {
  /** The template, relative to the repository root. */
  file: string;
  /** The rendered text that followed the template's `# Source:` line. */
  text: string;
}

const sourceMarker = /^# Source: (.+)$/gm;

/**
 * Splits `helm template` output at its `# Source: <chart>/<path>` comments. The chart's name
 * is replaced by the chart's directory, so `ingress-nginx/templates/x.yaml` becomes
 * `charts/ingress-nginx/templates/x.yaml` and subcharts keep their `charts/<name>/` prefix.
 */
export function splitHelmOutput(output: string, chartRel: string): HelmSection[] {
  const sections: HelmSection[] = [];
  let file = chartRel;
  let start = 0;
  for (const m of output.matchAll(sourceMarker)) {
    sections.push({ file, text: output.slice(start, m.index) });
    file = templateFile(chartRel, m[1] ?? '');
    start = m.index + m[0].length + 1;
  }
  sections.push({ file, text: output.slice(start) });
  return sections.filter((s) => s.text.trim() !== '' && s.text.trim() !== '---');
}

function templateFile(chartRel: string, source: string): string {
  const inChart = source.trim().split('/').slice(1);
  // Only a label, never opened; still, a path that leaves the chart would be a lie.
  if (inChart.length === 0 || inChart.some((p) => p === '..' || p === '')) return chartRel;
  return posix.join(chartRel, ...inChart);
}

/** Leaf strings of the inline values, long enough to be secrets, kept out of error messages. */
function secretsIn(value: unknown): string[] {
  if (typeof value === 'string') return value.length >= 6 ? [value] : [];
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value).flatMap(secretsIn);
}

/** Values files must be regular files inside the repository, like everything else helm reads. */
async function confineValuesFiles(
  root: string,
  refs: readonly string[],
): Promise<{ kind: 'ok'; value: TreeFile[] } | RenderFailed> {
  const files: TreeFile[] = [];
  for (const ref of refs) {
    const file = await confinePath(root, '', ref, ref);
    if (file.kind === 'error') return file;
    const isFile = await stat(file.value.real).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!isFile) return failed(new RenderIoError({ file: ref }, 'is not a readable values file'));
    files.push({ rel: file.value.rel, real: file.value.real });
  }
  return { kind: 'ok', value: files };
}

function helmEnv(sandbox: Sandbox): Record<string, string> {
  return {
    HELM_CACHE_HOME: join(sandbox.env.XDG_CACHE_HOME ?? sandbox.dir, 'helm'),
    HELM_CONFIG_HOME: join(sandbox.env.XDG_CONFIG_HOME ?? sandbox.dir, 'helm'),
    HELM_DATA_HOME: join(sandbox.env.XDG_DATA_HOME ?? sandbox.dir, 'helm'),
  };
}

/**
 * `helm template` of a chart directory: no repository updates, no dependency builds (charts/
 * must already hold the dependencies) and an empty, private helm home.
 */
export const helmRenderer: Renderer = defineRenderer(
  'helm',
  async (source: RenderSource, options: RenderOptions): Promise<RenderResult> => {
    const opened = await openApp(source.repoRoot, source.path);
    if (opened.kind === 'error') return opened;
    const { root, app } = opened.value;
    const tree = await walkTree(root, app, options.limits.maxEntries);
    if (tree.kind === 'error') return tree;
    const valuesFiles = await confineValuesFiles(root, options.helm.valuesFiles);
    if (valuesFiles.kind === 'error') return valuesFiles;
    // helm reads the values files and may read any file of the chart as YAML (`.Files.Get`).
    const bomb = await findAliasBomb([...tree.value, ...valuesFiles.value], options.limits);
    if (bomb !== undefined) return failed(bomb);
    const release = options.helm.releaseName ?? basename(app.rel === '' ? root : app.rel);
    const inline = options.helm.values;
    const out = await withSandbox((sandbox) =>
      runTool(
        {
          tool: 'helm',
          binary: options.helm.binary,
          args: helmArgs(
            release,
            app.real,
            valuesFiles.value.map((f) => f.real),
            options.helm,
          ),
          sandbox,
          subject: app.rel,
          root,
          env: helmEnv(sandbox),
          ...(Object.keys(inline).length > 0 ? { stdin: JSON.stringify(inline) } : {}),
          redact: secretsIn(inline),
        },
        options,
      ),
    );
    if (out.kind === 'error') return out;
    const objects: RenderedObject[] = [];
    for (const section of splitHelmOutput(out.stdout, app.rel)) {
      const found = textObjects(section.text, section.file, options.limits, (line) => ({
        file: section.file,
        line,
      }));
      if (found.kind === 'error') return found;
      objects.push(...found.objects);
    }
    return finish('helm', objects, out.warnings, options.limits, app.rel);
  },
);

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The image tag that makes a dev Pod fail: any container whose image ends in it.
 * kwok runs no images, so without this every Pod became Ready and a bad deploy could not be
 * told from a good one on the dev control plane.
 */
export const brokenImageTag = ':broken';

/**
 * Selects a Pending, not deleted Pod with a `:broken` container, owned (`In`) or not owned
 * (`NotIn`) by a Job. kwok's pod-ready Stage (cached next to the kwok binary by tools/build.sh)
 * matches the same Pods; a Stage with a positive weight always wins over one of weight 0
 * (kwok's lifecycle.Match draws only among positive weights), so pod-ready never sees them.
 */
function brokenPodSelector(job: 'In' | 'NotIn'): string {
  return `  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values: ['Pending']
    - key: '.spec.containers.[].image | endswith("${brokenImageTag}")'
      operator: 'In'
      values: ['true']
    - key: '.metadata.ownerReferences.[].kind'
      operator: '${job}'
      values: ['Job']
  weight: 1`;
}

/**
 * The status kwok's pod-ready Stage writes (node and Pod IPs, start time) but with Ready and
 * ContainersReady False for `reason`, and `$unready` (the names of the `:broken` containers,
 * as a kubelet lists unready ones) in their message; `$now` and `$pod` stay defined for the
 * container statuses that follow.
 */
function notReadyStatus(reason: string): string {
  return `      {{ $now := Now }}
      {{ $pod := . }}
      {{ $unready := list }}
      {{ range .spec.containers }}{{ if hasSuffix "${brokenImageTag}" .image }}{{ $unready = append $unready .name }}{{ end }}{{ end }}
      {{ $message := printf "containers with unready status: [%s]" ( join " " $unready ) }}
      conditions:
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Initialized
      - lastTransitionTime: {{ $now | Quote }}
        status: "False"
        reason: ${reason}
        message: {{ $message | Quote }}
        type: Ready
      - lastTransitionTime: {{ $now | Quote }}
        status: "False"
        reason: ${reason}
        message: {{ $message | Quote }}
        type: ContainersReady
      {{ $hostIPs := NodeIPsWith .spec.nodeName }}
      {{ with $hostIPs }}
      hostIP: {{ index . 0 | Quote }}
      hostIPs:
      {{ range . }}
      - ip: {{ . | Quote }}
      {{ end }}
      {{ end }}
      {{ $podIPs := PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
      {{ with $podIPs }}
      podIP: {{ index . 0 | Quote }}
      podIPs:
      {{ range . }}
      - ip: {{ . | Quote }}
      {{ end }}
      {{ end }}
      startTime: {{ $now | Quote }}`;
}

/**
 * A Pod that restarts its containers (not a Job's): the `:broken` containers wait in
 * CrashLoopBackOff after one failed run, as a kubelet reports a container that exits at once;
 * the others run and are ready. Phase Running and Ready=False is a resting state: no other
 * Stage matches it, so the Pod stays so and never becomes Ready.
 */
const crashLooping = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: ballast-pod-broken-image
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
${brokenPodSelector('NotIn')}
  next:
    statusTemplate: |
${notReadyStatus('ContainersNotReady')}
      containerStatuses:
      {{ range .spec.containers }}
      {{ if hasSuffix "${brokenImageTag}" .image }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        started: false
        restartCount: 1
        lastState:
          terminated:
            exitCode: 1
            reason: Error
            startedAt: {{ $now | Quote }}
            finishedAt: {{ $now | Quote }}
        state:
          waiting:
            reason: CrashLoopBackOff
            message: {{ printf "back-off 10s restarting failed container=%s pod=%s_%s(%s)" .name $pod.metadata.name $pod.metadata.namespace $pod.metadata.uid | Quote }}
      {{ else }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: true
        started: true
        restartCount: 0
        state:
          running:
            startedAt: {{ $now | Quote }}
      {{ end }}
      {{ end }}
      phase: Running
`;

/**
 * A Job's Pod fails outright: its `:broken` containers exit 1, the others complete. A Running
 * Job Pod would be completed by kwok's pod-complete Stage, so Failed is the one resting state
 * that does not count as a success; the Job controller then retries up to its backoffLimit.
 */
const jobFailing = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: ballast-job-pod-broken-image
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
${brokenPodSelector('In')}
  next:
    statusTemplate: |
${notReadyStatus('PodFailed')}
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        started: false
        restartCount: 0
        state:
          terminated:
            {{ if hasSuffix "${brokenImageTag}" .image }}
            exitCode: 1
            reason: Error
            {{ else }}
            exitCode: 0
            reason: Completed
            {{ end }}
            startedAt: {{ $now | Quote }}
            finishedAt: {{ $now | Quote }}
      {{ end }}
      phase: Failed
`;

/** The Stages `ballast dev` gives kwok on top of its defaults, as one config file. */
export const devStages = `---\n${crashLooping}---\n${jobFailing}`;

/**
 * Writes the dev Stages into a cluster's directory and returns the path for kwok's --config.
 * They live there, not in the tool cache, so a kwok built before them needs no rebuild.
 */
export async function writeDevStages(clusterDir: string): Promise<string> {
  const path = join(clusterDir, 'kwok-dev-stages.yaml');
  await writeFile(path, devStages);
  return path;
}

import type { KubeObject } from '../api/object.js';
import type { Cluster } from '../cluster/cluster.js';
import { UnknownKindError } from '../cluster/errors.js';
import type { RequesterCheck } from './audit.js';

/** The admission policy (and its binding) that `ballast install` ships for requested-by. */
export const requesterPolicyName = 'ballast-requested-by';

const group = 'admissionregistration.k8s.io/v1';

export interface RequesterPolicyOptions {
  /** The policy and binding looked up, both by this name. */
  policyName: string;
  /** How often the policy is looked up again, in milliseconds: two GETs, so cheap. */
  refreshMs: number;
  /**
   * A lookup that failed, said once per run of failures (an agent whose account may not read
   * the cluster-scoped policy would otherwise warn every refresh); the check then reads
   * `unenforced` until one succeeds.
   */
  onError: (error: unknown) => void;
}

export function defaultRequesterPolicyOptions(): RequesterPolicyOptions {
  return { policyName: requesterPolicyName, refreshMs: 30_000, onError: () => undefined };
}

/**
 * Whether the policy and its binding are installed and would refuse a forged name: the
 * binding names the policy and denies, and the policy fails closed and is not being deleted.
 */
export async function lookUpRequesterPolicy(
  cluster: Cluster,
  policyName: string = requesterPolicyName,
): Promise<RequesterCheck> {
  const metadata = { name: policyName };
  // An apiserver without admission policies (before Kubernetes 1.30) serves neither kind.
  const get = (kind: string): Promise<KubeObject | undefined> =>
    cluster.get({ apiVersion: group, kind, metadata }).catch((e: unknown) => {
      if (e instanceof UnknownKindError) return undefined;
      throw e;
    });
  const [policy, binding] = await Promise.all([
    get('ValidatingAdmissionPolicy'),
    get('ValidatingAdmissionPolicyBinding'),
  ]);
  if (policy === undefined || binding === undefined) return 'unenforced';
  const p = policy as KubeObject & { spec?: { failurePolicy?: string } };
  const b = binding as KubeObject & {
    spec?: { policyName?: string; validationActions?: string[] };
  };
  const enforced =
    p.metadata.deletionTimestamp === undefined &&
    b.metadata.deletionTimestamp === undefined &&
    p.spec?.failurePolicy !== 'Ignore' &&
    b.spec?.policyName === policyName &&
    (b.spec.validationActions ?? []).includes('Deny');
  return enforced ? 'enforced' : 'unenforced';
}

/**
 * The requester check kept current: looked up once at start and again on a timer. Until a
 * lookup succeeds, and after one fails, requesters are recorded as claimed.
 */
export class RequesterPolicyWatch {
  private state: RequesterCheck = 'unenforced';
  private failing = false;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly cluster: Cluster,
    private readonly options: RequesterPolicyOptions,
  ) {}

  static async start(
    cluster: Cluster,
    options: RequesterPolicyOptions = defaultRequesterPolicyOptions(),
  ): Promise<RequesterPolicyWatch> {
    const watch = new RequesterPolicyWatch(cluster, options);
    await watch.refresh();
    watch.timer = setInterval(() => void watch.refresh(), options.refreshMs);
    watch.timer.unref();
    return watch;
  }

  /** Looks the policy up now. */
  async refresh(): Promise<RequesterCheck> {
    try {
      this.state = await lookUpRequesterPolicy(this.cluster, this.options.policyName);
      this.failing = false;
    } catch (e) {
      this.state = 'unenforced';
      if (!this.failing) this.options.onError(e);
      this.failing = true;
    }
    return this.state;
  }

  check(): RequesterCheck {
    return this.state;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

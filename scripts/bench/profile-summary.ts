/** Where a process's CPU time went, from a V8 .cpuprofile (node --cpu-prof); pure, unit-tested. */

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShare {
  owner: string;
  ms: number;
  /** Of the busy time: idle excluded. */
  share: number;
}

/**
 * Attributes each sample to the innermost frame on its stack that belongs to a package
 * (node_modules/<name>) or to the repository's code (apps/…, libs/…): time in Node's internals
 * and native code (socket writes, JSON, crypto) counts for whoever called it. Samples with no such
 * frame keep their own name: (garbage collector), (program), or the node: module.
 */
export function summarizeProfile(profile: CpuProfile): ProfileShare[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const ownerCache = new Map<number, string>();
  const ownerOf = (id: number): string => {
    const cached = ownerCache.get(id);
    if (cached !== undefined) return cached;
    let owner: string | undefined;
    for (let current: number | undefined = id; current !== undefined && owner === undefined; current = parentOf.get(current)) {
      owner = codeOwner(byId.get(current)!.callFrame.url);
    }
    owner ??= fallbackOwner(byId.get(id)!.callFrame);
    ownerCache.set(id, owner);
    return owner;
  };

  const totals = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const owner = ownerOf(id);
    totals.set(owner, (totals.get(owner) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
  });
  totals.delete('(idle)');
  const busy = [...totals.values()].reduce((sum, ms) => sum + ms, 0);
  return [...totals].map(([owner, ms]) => ({ owner, ms, share: busy > 0 ? ms / busy : 0 })).sort((a, b) => b.ms - a.ms);
}

/** `pg`, `@nestjs/core`, `service: submission`, `lib: outbox`; undefined for Node's own code. */
export function codeOwner(url: string): string | undefined {
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (modules) return modules[1];
  const service = /\/apps\/resend-service\/src\/(?:([^/]+)\/)?/.exec(url);
  if (service) return `service: ${service[1] ?? 'main'}`;
  const lib = /\/libs\/([^/]+)\//.exec(url);
  if (lib) return `lib: ${lib[1]}`;
  return undefined;
}

function fallbackOwner(callFrame: { functionName: string; url: string }): string {
  if (callFrame.url.startsWith('node:')) return 'node internals';
  if (callFrame.functionName.startsWith('(')) return callFrame.functionName;
  return '(native, no JavaScript caller)';
}

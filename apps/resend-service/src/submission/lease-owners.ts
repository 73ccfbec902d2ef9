import { randomBytes } from 'node:crypto';

/**
 * The lease owners (fencing tokens) of one process: `<INSTANCE_ID>/<process token>/<claim number>`.
 * The claim number alone starts at 1 in every process, and INSTANCE_ID is not unique either: two
 * replicas may be given the same one, and its default `<hostname>-<pid>` repeats when a container
 * restarts (pid 1 every time). A random token per process keeps the owners of two processes
 * apart, so that one never passes the other's fence.
 */
export function leaseOwnerSequence(instanceId: string, processToken = randomBytes(8).toString('hex')): () => string {
  let claims = 0;
  return () => {
    claims += 1;
    return `${instanceId}/${processToken}/${claims}`;
  };
}

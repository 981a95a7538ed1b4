import type { Logger } from "../log/logger.js";
import { podKey, type Pod } from "../manifest/index.js";
import { podPrivileges } from "../manifest/privileges.js";

/**
 * Logs each desired pod that requests host privileges once per pod version (UID), with the
 * privileges, so the log records which static pods can reach the host without repeating it on
 * every pass.
 */
export class PrivilegeLog {
  private readonly logged = new Set<string>();

  constructor(
    private readonly log: Logger,
    /** Host paths sensitive on this node beyond the fixed list, such as the manifests directory. */
    private readonly extraSensitivePaths: readonly string[] = [],
  ) {}

  /** Logs the pods not logged before, and drops the record of pods that are no longer desired. */
  report(pods: readonly Pod[]): void {
    const current = new Set<string>();
    for (const pod of pods) {
      current.add(pod.uid);
      if (this.logged.has(pod.uid)) continue;
      this.logged.add(pod.uid);

      const privileges = podPrivileges(pod, this.extraSensitivePaths);
      if (privileges.length > 0) {
        this.log.warn("pod runs with host privileges", { pod: podKey(pod), podUID: pod.uid, privileges: privileges.join(","), file: pod.source.file });
      }
    }
    for (const uid of this.logged) {
      if (!current.has(uid)) this.logged.delete(uid);
    }
  }
}

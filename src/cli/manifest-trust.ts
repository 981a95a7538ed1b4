import type { Logger } from "../log/logger.js";
import { checkDirectoryTrust, type TrustOptions } from "../manifest/trust.js";

/**
 * Checks the manifests directory and its parents before the daemon starts. When one fails, throws
 * an Error naming the path, the problem and the fix, so tinylet does not start. Logs the warnings
 * (group-writable paths, risks accepted by flag) once.
 */
export async function checkManifestsDirectory(dir: string, trust: TrustOptions, log: Logger): Promise<void> {
  let findings;
  try {
    findings = await checkDirectoryTrust(dir, trust);
  } catch (error) {
    log.warn("failed to check the manifests directory's owner and mode; each pass tries again", { dir, err: error });
    return;
  }

  const rejected = findings.find((finding) => finding.severity === "error");
  if (rejected !== undefined) {
    throw new Error(`insecure manifests directory ${dir}: ${rejected.path}: ${rejected.detail}`);
  }
  for (const finding of findings) {
    log.warn("insecure manifests directory", { path: finding.path, warning: finding.detail });
  }
}

/** HTTP probes: a GET whose status from 200 to 399 is success, as kubelet judges it. */
import http from "node:http";
import https from "node:https";

import type { HTTPGetAction } from "../manifest/index.js";
import type { ProbeOutcome } from "./state.js";

/** User-Agent sent unless the probe sets one; kubelet sends `kube-probe/MAJOR.MINOR`. */
export const PROBE_USER_AGENT = "tinylet-probe/0.1";

/** Most of the response body kept for a failure message, in bytes. */
const MAX_BODY_BYTES = 10 * 1024;

/**
 * Sends the probe's GET to `host:port`. HTTPS skips certificate verification, as kubelet does.
 * A header named Host in `httpHeaders` sets the Host header.
 */
export function runHttpProbe(action: HTTPGetAction, host: string, port: number, timeoutSeconds: number): Promise<ProbeOutcome> {
  const scheme = action.scheme === "HTTPS" ? https : http;
  const headers: Record<string, string> = { "User-Agent": PROBE_USER_AGENT, Accept: "*/*", Connection: "close" };
  for (const header of action.httpHeaders) {
    headers[header.name] = header.value;
  }
  const url = `${action.scheme.toLowerCase()}://${host.includes(":") ? `[${host}]` : host}:${port}${action.path}`;

  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(outcome);
    };

    // NOTE: redirects are not followed; a 3xx counts as success, where kubelet follows same-host redirects first.
    const request = scheme.request(
      { host, port, path: action.path, method: "GET", headers, rejectUnauthorized: false, agent: false },
      (response) => {
        const status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          if (size < MAX_BODY_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        response.on("end", () => {
          if (status >= 200 && status < 400) {
            finish({ result: "success", message: "" });
            return;
          }
          const body = Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString("utf8").trim();
          finish({ result: "failure", message: `HTTP probe failed with statuscode: ${status}${body ? `: ${body}` : ""}` });
        });
        response.on("error", (error) => finish({ result: "failure", message: `GET ${url}: ${error.message}` }));
      },
    );
    const timer = setTimeout(
      () => finish({ result: "failure", message: `GET ${url}: timed out after ${timeoutSeconds}s` }),
      timeoutSeconds * 1000,
    );
    request.on("error", (error) => finish({ result: "failure", message: `GET ${url}: ${error.message}` }));
    request.end();
  });
}

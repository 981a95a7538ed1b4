/** TCP probes: success when a connection to the port is accepted. */
import { connect } from "node:net";

import type { ProbeOutcome } from "./state.js";

/** Connects to `host:port` and closes at once; refused or timed out is a failure. */
export function runTcpProbe(host: string, port: number, timeoutSeconds: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (outcome: ProbeOutcome): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(
      () => finish({ result: "failure", message: `dial tcp ${host}:${port}: timed out after ${timeoutSeconds}s` }),
      timeoutSeconds * 1000,
    );
    socket.once("connect", () => finish({ result: "success", message: "" }));
    socket.once("error", (error) => finish({ result: "failure", message: `dial tcp ${host}:${port}: ${error.message}` }));
  });
}

/** The read-only HTTP API: routes, limits, the listen address and the Prometheus metrics. */
export { clientAddress, DEFAULT_STATUS_ADDR, parseStatusAddress, type ListenAddress } from "./address.js";
export { startApiServer, type ApiServer, type ApiServerOptions, type Health, type StatusSource } from "./server.js";
export { METRIC_NAMES, Metrics } from "./metrics.js";

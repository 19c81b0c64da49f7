/**
 * Errors the router makes on its busy paths (deadline timers, upstream error statuses,
 * hedge losers) carry no stack trace: it would only show a timer or a transport callback,
 * and capturing one (~2-4 µs) costs more than the rest of the attempt. Under an outage or
 * a rate-limit storm that is paid per attempt. Message, code and cause are unchanged.
 */
export function stackless<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Why a server could not listen, as one sentence naming the setting to change, or null for an
 * error that is not about the address (the caller rethrows it). The service (PORT, HOST) and the
 * standalone simulator (--port, --host) say it the same way.
 */
export function listenProblem(
  err: unknown,
  address: string,
  portSetting: string,
  hostSetting: string,
): string | null {
  switch ((err as { code?: unknown } | null)?.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${address}: the port is in use by another process. Stop that process, or choose another ${portSetting}.`;
    case 'EACCES':
      return `cannot listen on ${address}: not permitted (ports below 1024 need privileges). Choose another ${portSetting}.`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${address}: no network interface of this machine has that address. Fix ${hostSetting}.`;
    default:
      return null;
  }
}

/**
 * Resolves on the first SIGINT or SIGTERM after the call. Call it before announcing readiness: a signal that
 * arrives while no listener exists takes the default action and kills the process mid-write, with no clean-up
 * and no exit code (a supervisor that starts the command and stops it at once saw exactly that).
 */
export function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

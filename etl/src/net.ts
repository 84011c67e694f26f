import net from 'node:net';
import { ConfigError } from './config';

/** A TCP port free on the loopback right now (for servers that must be told their port up front). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Fails at once, in one line, when host:port cannot be listened on; for commands that do long work (the demo's
 * first sync) before they start their server. Port 0 (any free port) always passes.
 */
export async function assertCanListen(host: string, port: number, setting: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'is already in use' : err.code === 'EACCES' ? 'needs privileges to listen on' : `cannot be listened on (${err.code ?? err.message})`;
      reject(new ConfigError(`${setting}: ${host}:${port} ${why}; set ${setting} to a free port`));
    });
    srv.listen(port, host, () => srv.close(() => resolve()));
  });
}

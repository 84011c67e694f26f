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
 * The one line for a server that cannot listen on host:port: a taken or privileged port names portSetting, a host
 * that does not resolve or is not an address of this machine names hostSetting.
 */
export function listenError(err: NodeJS.ErrnoException, host: string, port: number, portSetting = 'AMOKPI_PORT', hostSetting = 'AMOKPI_HOST'): ConfigError {
  switch (err.code) {
    case 'EADDRINUSE':
      return new ConfigError(`${portSetting}: ${host}:${port} is already in use; set ${portSetting} to a free port`);
    case 'EACCES':
      return new ConfigError(`${portSetting}: ${host}:${port} needs privileges to listen on; set ${portSetting} to a port above 1023`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new ConfigError(`${hostSetting}: "${host}" does not resolve to an address (${err.code}); set ${hostSetting} to an address of this machine, e.g. 127.0.0.1 or 0.0.0.0 (all interfaces)`);
    case 'EADDRNOTAVAIL':
      return new ConfigError(`${hostSetting}: "${host}" is not an address of this machine; set ${hostSetting} to one of its addresses, e.g. 127.0.0.1 or 0.0.0.0 (all interfaces)`);
    default:
      return new ConfigError(`${hostSetting}/${portSetting}: ${host}:${port} cannot be listened on (${err.code ?? err.message})`);
  }
}

/**
 * Fails at once, in one line, when host:port cannot be listened on; for commands that do long work (the demo's
 * first sync) before they start their server. Port 0 (any free port) still checks the host.
 */
export async function assertCanListen(host: string, port: number, setting = 'AMOKPI_PORT', hostSetting = 'AMOKPI_HOST'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, host, port, setting, hostSetting)));
    srv.listen(port, host, () => srv.close(() => resolve()));
  });
}

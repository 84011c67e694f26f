import { maxHeaderSize, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import express from 'express';
import type { Config } from '../config';
import type { Db } from '../db';
import { log } from '../log';
import { listenError } from '../net';
import { loadKpiContext } from '../kpi/context';
import { adminPlansPage } from './admin-page';
import { AnswerCache } from './answer-cache';
import { refuseOtherMethods } from './methods';
import { openapi } from './openapi';
import { problemHandler, problemJson, sendProblem, titleOf } from './problem';
import { apiRouter } from './routes';

/** Where the API router is mounted. */
export const API_PREFIX = '/api/v1';

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The express app: probes, the OpenAPI document and the plan page are public; everything else needs a token. */
export function buildApp(config: Config, db: Db): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const answers = new AnswerCache(db, config);

  app.get('/healthz', async (_req, res) => {
    try {
      await db.one('SELECT 1 AS ok');
      res.json({ status: 'ok' });
    } catch {
      res.status(503).json({ status: 'database unavailable' });
    }
  });
  // Counts only, no figures: public like the probe above.
  app.get('/healthz/answers', (_req, res) => {
    res.json(answers.stats);
  });
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.get('/admin/plans', async (_req, res) => {
    const ctx = await loadKpiContext(db, config);
    res.type('html').set('Cache-Control', 'no-store').send(adminPlansPage(ctx.today.slice(0, 7)));
  });
  refuseOtherMethods(app.router);
  app.use(API_PREFIX, apiRouter(config, db, answers));
  app.use((req, res) => sendProblem(res, 404, 'Not Found', `no route ${req.method} ${req.path}`));
  app.use(problemHandler);
  return app;
}

/** The status node itself would answer a request it cannot parse with (its default 'clientError' handling), and why. */
function unreadable(code: string | undefined): { status: number; detail: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, detail: `the request line and headers are larger than the ${maxHeaderSize} bytes this server reads` };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, detail: 'the chunk extensions of the body are larger than this server reads' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, detail: 'the request did not arrive in time' };
    default:
      return { status: 400, detail: 'the request is not valid HTTP/1.1' };
  }
}

/**
 * A request node's parser refuses never reaches express, and node answers it with a bare status line (a URL over
 * 16 KB: 431 and no body). This writes the same status as a problem instead, then closes the connection, as node
 * does. Nothing is written when the connection is gone or an answer has already begun on it.
 */
function answerUnreadableRequests(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) return void socket.destroy();
    const { status, detail } = unreadable(err.code);
    const title = titleOf(status);
    const body = problemJson(status, title, detail);
    const head = [`HTTP/1.1 ${status} ${title}`, 'Content-Type: application/problem+json', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  });
}

/** Listens on config.host:config.port (0 = a random port). */
export async function startServer({ config, db }: { config: Config; db: Db }): Promise<RunningServer> {
  const app = buildApp(config, db);
  // A taken port or a host that is not this machine's: one line naming AMOKPI_PORT / AMOKPI_HOST (exit 2).
  const failed = (err: Error) => listenError(err as NodeJS.ErrnoException, config.host, config.port);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, (err?: Error) => (err ? reject(failed(err)) : resolve(s)));
    s.once('error', (err) => reject(failed(err)));
  });
  server.keepAliveTimeout = 65_000;
  answerUnreadableRequests(server);
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  log().info({ url }, 'KPI API listening');
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

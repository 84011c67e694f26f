import { scrub } from '../log';

/** Base of every error raised by the amoCRM transport; messages are scrubbed of registered secrets. */
export class AmoError extends Error {
  constructor(message: string) {
    super(scrub(message));
  }
}

/**
 * amoCRM answered 403 with its nginx HTML page: the account/IP is blocked for request-rate abuse. Nothing
 * else will succeed until amoCRM support lifts it, so the whole sync stops instead of retrying.
 */
export class AmoBlockedError extends AmoError {
  override name = 'AmoBlockedError';
  constructor(readonly path: string) {
    super(
      `account blocked by amoCRM for request-rate abuse (403 HTML on ${path}); every request will fail until amoCRM support ` +
        'lifts the block: write to support with the account subdomain, account id and the server IP, and keep AMOCRM_RPS at 6 or less',
    );
  }
}

/** Authentication cannot proceed without the user: the message says exactly what to do. */
export class AmoAuthError extends AmoError {
  override name = 'AmoAuthError';
}

/** A response that is not what the API promises: malformed JSON, or an item of the wrong shape. */
export class AmoPayloadError extends AmoError {
  override name = 'AmoPayloadError';
}

/** Any other non-success answer (or retries exhausted); `status` 0 means a network error or timeout. */
export class AmoHttpError extends AmoError {
  override name = 'AmoHttpError';
  constructor(
    readonly status: number,
    readonly path: string,
    detail: string,
  ) {
    super(`amoCRM ${path}: ${status ? `HTTP ${status}` : 'network error'}${detail ? `: ${detail}` : ''}`);
  }
}

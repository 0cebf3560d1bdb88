import { SessionError } from "@session/errors";

/**
 * The one error the community server's domain throws: an HTTP status and a plain-text reason, as
 * SOGS answers (`abort(Response(msg, status, mimetype='text/plain'))`).
 */
type SogsStatus = 400 | 401 | 403 | 404 | 406 | 412 | 413 | 425 | 429 | 500;

export class SogsError extends SessionError<SogsStatus> {
  override readonly name = "SogsError";
  /** The code is the status (SOGS answers nothing else); 425, 429 and 500 are worth a later try. */
  constructor(
    readonly status: SogsStatus,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(status, message, { ...options, retryable: status === 425 || status === 429 || status === 500 });
  }
}

export const badRequest = (msg = "Bad request", options?: { cause?: unknown }) =>
  new SogsError(400, msg, options);
export const forbidden = (msg = "Forbidden") => new SogsError(403, msg);
export const notFound = (msg = "Not found") => new SogsError(404, msg);

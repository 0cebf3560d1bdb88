/**
 * The one error the community server's domain throws: an HTTP status and a plain-text reason, as
 * SOGS answers (`abort(Response(msg, status, mimetype='text/plain'))`).
 */
export class SogsError extends Error {
  override readonly name = "SogsError";
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 406 | 412 | 413 | 425 | 429 | 500,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (msg = "Bad request") => new SogsError(400, msg);
export const forbidden = (msg = "Forbidden") => new SogsError(403, msg);
export const notFound = (msg = "Not found") => new SogsError(404, msg);

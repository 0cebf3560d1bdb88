/**
 * Pulls a filename out of an upload's Content-Disposition (`filename*=UTF-8''…` preferred over
 * `filename="…"`). Returns null when there is none or it is unusable; never throws.
 */
export function filenameFromDisposition(header: string | undefined): string | null {
  if (!header) return null;
  let name: string | null = null;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (star?.[1]) {
    try {
      name = decodeURIComponent(star[1].trim());
    } catch {
      name = null;
    }
  }
  if (name === null) {
    const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/.exec(header);
    name = plain ? (plain[1]?.replace(/\\(.)/g, "$1") ?? plain[2] ?? null) : null;
  }
  if (name === null) return null;
  // No paths, no control characters, bounded length.
  name = name.replace(/[\u0000-\u001f\u007f/\\]/g, "_").trim();
  if (name === "" || name === "." || name === "..") return null;
  return name.slice(0, 255);
}

/** The download header: `attachment`, plus an RFC 5987 filename when one was uploaded. */
export function dispositionFor(filename: string | null): string {
  if (!filename) return "attachment";
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename*=UTF-8''${encoded}`;
}

import { request, type Agent } from 'node:http';

/** An answer as it came off the wire. */
export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface RawRequest {
  method: string;
  /** Sent as is (no URL normalisation), so that tests can send malformed escapes. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Default true: a Content-Length header; false sends the body chunked. */
  contentLength?: boolean;
}

/**
 * One HTTP request with exactly the given bytes and headers (fetch would add a content type and refuse
 * odd header values). Rejects after `timeoutMs` so that a hang fails the test instead of stalling it.
 */
export function sendRaw(base: string, req: RawRequest, agent: Agent, timeoutMs = 5_000): Promise<RawReply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined && req.contentLength !== false) {
      headers['content-length'] = String(Buffer.byteLength(req.body));
    }
    const r = request(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    r.setTimeout(timeoutMs, () =>
      r.destroy(new Error(`no answer within ${timeoutMs} ms: ${req.method} ${req.path}`)),
    );
    r.on('error', reject);
    r.end(req.body);
  });
}

/** Header values Node will put on the wire: tab, printable ASCII and Latin-1 (no control characters). */
export const HEADER_CHARS = /^[\t\x20-\x7e\x80-\xff]*$/;

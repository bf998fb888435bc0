/** Small fetch helpers: JSON in, parsed JSON (or text) out, with status and headers. */
export interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export async function call<T = unknown>(
  base: string,
  method: string,
  path: string,
  opts: { json?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] ??= 'application/json';
  } else if (opts.raw !== undefined) {
    body = opts.raw;
  }
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  const parsed: unknown = type.includes('json') && text !== '' ? JSON.parse(text) : text;
  return { status: res.status, headers: res.headers, body: parsed as T };
}

export const get = <T = unknown>(base: string, path: string, headers?: Record<string, string>) =>
  call<T>(base, 'GET', path, { headers: headers ?? {} });

export const postBet = <T = unknown>(base: string, json: unknown, headers?: Record<string, string>) =>
  call<T>(base, 'POST', '/bet', { json, headers: headers ?? {} });

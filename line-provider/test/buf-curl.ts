import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The buf binary from the root devDependency; the same command the README shows as `npx buf curl`.
export const BUF = fileURLToPath(new URL('../../node_modules/.bin/buf', import.meta.url));
export function curlArgs(port: number, path: string, extra: string[] = []): string[] {
  return [
    'curl',
    '--protocol',
    'grpc',
    '--http2-prior-knowledge',
    ...extra,
    `http://127.0.0.1:${port}${path}`,
  ];
}

/** Runs `buf curl` to completion; resolves with its exit code and output (a failed RPC is not a rejection). */
export function bufCurl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(BUF, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error === null) resolve({ code: 0, stdout, stderr });
      else if (typeof error.code === 'number') resolve({ code: error.code, stdout, stderr });
      else reject(new Error(`buf did not run: ${error.message}`, { cause: error }));
    });
  });
}

/** Splits buf curl's output, a series of pretty-printed JSON documents, into parsed documents. */
export class JsonDocuments {
  private text = '';
  readonly documents: unknown[] = [];

  push(chunk: string): void {
    this.text += chunk;
    let depth = 0;
    let inString = false;
    let escaped = false;
    let start = 0;
    for (let i = 0; i < this.text.length; i += 1) {
      const char = this.text[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (char === '\\') escaped = true;
        else if (char === '"') inString = false;
      } else if (char === '"') inString = true;
      else if (char === '{') depth += 1;
      else if (char === '}' && --depth === 0) {
        this.documents.push(JSON.parse(this.text.slice(start, i + 1)));
        start = i + 1;
      }
    }
    this.text = this.text.slice(start);
  }
}

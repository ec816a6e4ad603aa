import { createHash } from 'node:crypto';
import { build } from 'esbuild';
import type { RequestHandler } from 'express';

const CLIENT_DIR = new URL('../../public/client/', import.meta.url).pathname;

// The softphone (sip.js) and video (mediasoup-client) code, bundled with esbuild in memory on first use:
// the desktop's first load stays small, and no build step or stale file can get between a checkout
// and what browsers run.
export class ClientBundles {
  readonly #entries: Record<string, string>;
  readonly #built = new Map<string, Promise<{ code: string; etag: string }>>();

  constructor(entries: Record<string, string>) {
    this.#entries = entries;
  }

  handler(): RequestHandler {
    return async (req, res, next) => {
      const name = req.path.replace(/^\//, '');
      const entry = this.#entries[name];
      if (!entry) return next();
      const bundle = await this.bundle(name, entry);
      if (req.headers['if-none-match'] === bundle.etag) return void res.status(304).end();
      res.set({ 'Content-Type': 'text/javascript; charset=utf-8', ETag: bundle.etag, 'Cache-Control': 'no-cache' });
      res.send(bundle.code);
    };
  }

  private bundle(name: string, entry: string): Promise<{ code: string; etag: string }> {
    let built = this.#built.get(name);
    if (!built) {
      built = this.build(entry);
      this.#built.set(name, built);
      built.catch(() => this.#built.delete(name)); // a failed build is retried on the next request
    }
    return built;
  }

  private async build(entry: string): Promise<{ code: string; etag: string }> {
    const result = await build({
      entryPoints: [CLIENT_DIR + entry],
      bundle: true,
      format: 'esm',
      minify: true,
      write: false,
      target: 'es2022',
      platform: 'browser',
      legalComments: 'none',
      define: { 'process.env.NODE_ENV': '"production"' },
    });
    const code = result.outputFiles[0]!.text;
    return { code, etag: `"${createHash('sha1').update(code).digest('hex')}"` };
  }
}

import { Eta } from 'eta';

const VIEWS_DIR = new URL('../../views/', import.meta.url).pathname;
const CACHE = process.env.NODE_ENV !== 'development';

// Server-rendered HTML. `<%= %>` escapes, so customer text and context are inert wherever they appear.
export class Views {
  readonly #eta = new Eta({ views: VIEWS_DIR, cache: CACHE, autoEscape: true });

  constructor() {
    if (CACHE) resolveEachNameOnce(this.#eta);
  }

  render(name: string, data: object): string {
    return this.#eta.render(name, data);
  }
}

// Eta resolves a template's path (path.resolve, relative, a views-dir check) on every render and
// include; with the cache on the answer never changes, so it is worked out once per name.
function resolveEachNameOnce(eta: Eta): void {
  const resolve = eta.resolvePath;
  const paths = new Map<string, string>();
  eta.resolvePath = function (this: ThisParameterType<Eta['resolvePath']>, template, options) {
    const key = `${options?.filepath ?? ''}\u0000${template}`;
    let path = paths.get(key);
    if (path === undefined) paths.set(key, (path = resolve.call(this, template, options)));
    return path;
  };
}

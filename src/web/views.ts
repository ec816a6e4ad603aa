import { Eta } from 'eta';

const VIEWS_DIR = new URL('../../views/', import.meta.url).pathname;

// Server-rendered HTML. `<%= %>` escapes, so customer text and context are inert wherever they appear.
export class Views {
  readonly #eta = new Eta({ views: VIEWS_DIR, cache: process.env.NODE_ENV !== 'development', autoEscape: true });

  render(name: string, data: object): string {
    return this.#eta.render(name, data);
  }
}

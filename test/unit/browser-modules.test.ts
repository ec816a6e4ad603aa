import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import t from 'tap';

// The page scripts are plain ES modules, so nothing but this test keeps their imports pointing one way.
// A cycle makes the evaluation order depend on which module the page happens to load first (a module can
// run before one it uses has defined its exports), and it hides which module owns what.

const root = resolve(import.meta.dirname, '../..');
const folders = ['public', 'public/mobile', 'public/client'];

// Static imports and re-exports of a relative path; `import()` loads later and cannot close a cycle at load.
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"`;]*?['"](\.\.?\/[^'"]+)['"]/g;

function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const source = readFileSync(join(root, file), 'utf8');
    const targets = [...source.matchAll(IMPORT)].map((m) => relative(root, resolve(root, dirname(file), m[1]!)));
    graph.set(file, targets);
  }
  return graph;
}

/** One cycle as a path that returns to its start, or undefined. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    const at = path.indexOf(node);
    if (at >= 0) return [...path.slice(at), node];
    if (done.has(node)) return undefined;
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(node);
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

const files = folders.flatMap((folder) =>
  readdirSync(join(root, folder))
    .filter((name) => name.endsWith('.js'))
    .map((name) => `${folder}/${name}`),
);

t.test('the cycle finder finds a cycle and accepts a chain', async (t) => {
  t.same(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]])), ['a', 'b', 'c', 'a']);
  t.equal(findCycle(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]])), undefined);
});

t.test('the page scripts import each other in one direction only', async (t) => {
  const graph = importGraph(files);
  const edges = [...graph.values()].reduce((n, targets) => n + targets.length, 0);
  t.ok(edges >= 20, `the imports were read (${edges} found)`);
  const cycle = findCycle(graph);
  t.equal(cycle, undefined, cycle ? `import cycle: ${cycle.join(' -> ')}` : 'no cycle');
});

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// Dependencies point one way (docs/ARCHITECTURE.md "Layers"): this lists the module-level
// units of shared/ and local/ — each sub-folder is one unit, each file directly in shared/
// is one — and fails when their imports form a cycle. `npm run check:cycles`; also a test.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FOLDERS = ['shared', 'local', 'functions'];

/** shared/auth/index.ts → shared/auth; shared/config.ts → shared/config. */
export function unitOf(file: string): string {
  const parts = relative(root, file).split(sep);
  if (parts.length >= 3) return parts.slice(0, 2).join('/');
  return parts.join('/').replace(/\.(ts|js)$/, '');
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.ts$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Static and dynamic relative imports, type-only ones included: a cycle of types is a cycle of concepts. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.[^'"]+)['"]/g)) {
    out.push(resolve(dirname(file), m[1].replace(/\.js$/, '.ts')));
  }
  return out;
}

export function unitGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const folder of FOLDERS) {
    for (const file of sources(join(root, folder))) {
      const from = unitOf(file);
      const edges = graph.get(from) ?? new Set<string>();
      graph.set(from, edges);
      for (const target of importsOf(file)) {
        const to = unitOf(target);
        if (to !== from && FOLDERS.some((f) => to.startsWith(`${f}/`) || to === f)) edges.add(to);
      }
    }
  }
  return graph;
}

/** Every elementary cycle's smallest representative, found by DFS from each unit. */
export function findCycles(graph: Map<string, Set<string>>): string[][] {
  const cycles = new Map<string, string[]>();
  const visit = (start: string, node: string, path: string[]) => {
    for (const next of graph.get(node) ?? []) {
      if (next === start) {
        const cycle = [...path];
        const min = cycle.indexOf([...cycle].sort()[0]);
        const key = [...cycle.slice(min), ...cycle.slice(0, min)];
        cycles.set(key.join(' → '), key);
      } else if (!path.includes(next) && next > start) {
        visit(start, next, [...path, next]);
      }
    }
  };
  for (const start of [...graph.keys()].sort()) visit(start, start, [start]);
  return [...cycles.values()];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const cycles = findCycles(unitGraph());
  for (const c of cycles) console.log(`cycle: ${[...c, c[0]].join(' → ')}`);
  console.log(cycles.length === 0 ? 'no import cycles between units' : `${cycles.length} import cycle(s)`);
  process.exit(cycles.length === 0 ? 0 : 1);
}

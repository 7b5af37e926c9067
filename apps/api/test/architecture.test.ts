/**
 * The walls of the code base (docs/architecture.md): no import cycle in the server or the SDK; the path of a
 * notification runs no code of the dashboard's, and platform/ none of what stands on it; the
 * protocol package imports nothing of ours (TypeBox only, and the SDK takes none of it); the SDK
 * and the dashboard reach the server only over HTTP and sockets; only the server touches the
 * database. Imports are read by TypeScript's own scanner.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!['node_modules', 'dist', 'generated'].includes(entry.name)) out.push(...sources(path));
    } else if (/\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Every module a file imports or re-exports (type-only imports included: they are still a dependency). */
const importsOf = (file: string): string[] =>
  ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);

/** The modules a file needs at run time: its imports and re-exports that are not type-only. */
function valueImportsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const out: string[] = [];
  for (const node of source.statements) {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const onlyTypes =
        clause?.isTypeOnly ||
        (clause && !clause.name && named && ts.isNamedImports(named) && named.elements.every((e) => e.isTypeOnly));
      if (!onlyTypes) out.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly) {
      out.push((node.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return out;
}

/** Relative imports resolved to files (`./x.js` is `./x.ts` in the sources). */
function graph(files: string[], read = importsOf): Map<string, string[]> {
  const known = new Set(files);
  const edges = new Map<string, string[]>();
  for (const file of files) {
    const deps = read(file)
      .filter((s) => s.startsWith('.'))
      .map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts'))
      .filter((f) => known.has(f));
    edges.set(file, deps);
  }
  return edges;
}

/** The cycles of a graph, each once, as file paths relative to the repository. */
function cycles(edges: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of edges.keys()) if (!state.has(node)) visit(node);
  return found.map((c) => c.map((f) => relative(ROOT, f)));
}

/** Run-time imports from files of the `from` folders of the server to files of the `to` folders (or root files). */
function crossings(from: string[], to: string[]): string[] {
  const src = join(ROOT, 'apps/api/src');
  const top = (file: string) => relative(src, file).split('/')[0] as string;
  const files = sources(src);
  expect(files.filter((f) => from.includes(top(f))).length).toBeGreaterThan(0);
  const found: string[] = [];
  for (const [file, deps] of graph(files, valueImportsOf)) {
    if (!from.includes(top(file))) continue;
    for (const dep of deps) if (to.includes(top(dep))) found.push(`${relative(ROOT, file)} → ${relative(ROOT, dep)}`);
  }
  return found;
}

describe('architecture', () => {
  it('has no import cycle in the server', () => {
    expect(cycles(graph(sources(join(ROOT, 'apps/api/src'))))).toEqual([]);
  });

  it('has no import cycle in the SDK (the client composes the connection, the catch-up and the popups)', () => {
    const src = join(ROOT, 'packages/sdk/src');
    const edges = graph(sources(src));
    expect(edges.get(join(src, 'client.ts'))).toEqual(
      expect.arrayContaining(['connection.ts', 'catchup.ts', 'popups.ts'].map((f) => join(src, f))),
    );
    expect(cycles(edges)).toEqual([]);
  });

  // Types are contracts, not coupling: a folder may name another's types (delivery names the socket
  // server it emits to, the gateway the inbox it answers from) without running its code.
  it('has no run-time cycle between its folders (each is one step of the path, or a layer under them)', () => {
    const src = join(ROOT, 'apps/api/src');
    const folderOf = (file: string) => {
      const [top, sub, ...rest] = relative(src, file).split('/');
      // platform/ is a stack of layers of its own: http/ stands on schemas/, which stands on lib/.
      return top === 'platform' && sub !== undefined && rest.length > 0 ? `${top}/${sub}` : (top as string);
    };
    const folders = new Map<string, Set<string>>();
    for (const [file, deps] of graph(sources(src), valueImportsOf)) {
      const from = folderOf(file);
      const set = folders.get(from) ?? new Set<string>();
      folders.set(from, set);
      for (const dep of deps) if (folderOf(dep) !== from) set.add(folderOf(dep));
    }
    const edges = new Map([...folders].map(([k, v]) => [join(src, k), [...v].map((d) => join(src, d))]));
    expect(cycles(edges)).toEqual([]);
  });

  it("lets the worker and the gateway meet only through Redis or deliverLocally, never each other's code", () => {
    expect(crossings(['queue'], ['gateway'])).toEqual([]);
    expect(crossings(['gateway'], ['queue'])).toEqual([]);
  });

  it("keeps the notification's path free of the dashboard: no step of it runs code of admin/", () => {
    expect(crossings(['intake', 'queue', 'fanout', 'delivery', 'gateway', 'inbox', 'log'], ['admin'])).toEqual([]);
  });

  it('keeps platform/ under everything: it runs code of no folder but its own and the schemas', () => {
    const above = ['intake', 'queue', 'fanout', 'delivery', 'gateway', 'inbox', 'log', 'admin', 'auth', 'routes'];
    expect(crossings(['platform'], [...above, 'app.ts', 'main.ts', 'server.ts', 'services.ts'])).toEqual([]);
  });

  it('keeps the protocol package free of our imports (it is the public contract), TypeBox its only library', () => {
    for (const file of sources(join(ROOT, 'packages/protocol/src'))) {
      expect([relative(ROOT, file), importsOf(file).filter((s) => !s.startsWith('.') && s !== 'typebox')]).toEqual([
        relative(ROOT, file),
        [],
      ]);
    }
  });

  it("keeps TypeBox out of the SDK: the protocol's root takes only types from its schemas", () => {
    const src = join(ROOT, 'packages/protocol/src');
    // The root's values come from its sibling files (statuses, inbox, preferences, push, admin),
    // never from schema.ts, and none of those takes a value from anywhere: types only.
    const roots = [...new Set(valueImportsOf(join(src, 'index.ts')))].sort();
    expect(roots).toEqual(['./admin.js', './inbox.js', './preferences.js', './push.js', './statuses.js']);
    for (const root of roots) {
      expect([root, valueImportsOf(join(src, root.replace(/\.js$/, '.ts')))]).toEqual([root, []]);
    }
    expect(importsOf(join(src, 'statuses.ts'))).toEqual([]);
    for (const file of sources(join(ROOT, 'packages/sdk/src'))) {
      const wrong = valueImportsOf(file).filter((s) => s === 'typebox' || s.startsWith('@herald/protocol/'));
      expect([relative(ROOT, file), wrong]).toEqual([relative(ROOT, file), []]);
    }
  });

  it('lets the SDK and the dashboard reach the server only over HTTP and sockets', () => {
    for (const dir of ['packages/sdk/src', 'apps/dashboard/src']) {
      for (const file of sources(join(ROOT, dir))) {
        const wrong = importsOf(file).filter(
          (s) => s.includes('apps/api') || s.startsWith('@herald/api') || /prisma|ioredis|bullmq|^pg$/.test(s),
        );
        expect([relative(ROOT, file), wrong]).toEqual([relative(ROOT, file), []]);
      }
    }
  });
});

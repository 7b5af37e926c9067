import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src/', import.meta.url);

/** Each SDK module and the SDK modules it imports or re-exports (type-only ones included). */
function graph(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const file of readdirSync(SRC).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(new URL(file, SRC), 'utf8');
    const deps = [...text.matchAll(/(?:from|import)\s*\(?\s*'\.\/([\w-]+)\.js'/g)].map((m) => `${m[1]}.ts`);
    edges.set(file, deps);
  }
  return edges;
}

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
  return found;
}

describe('SDK architecture', () => {
  it('reads the imports it checks (the client composes the connection, the catch-up and the popups)', () => {
    expect(graph().get('client.ts')).toEqual(expect.arrayContaining(['connection.ts', 'catchup.ts', 'popups.ts']));
  });

  it('has no import cycle', () => {
    expect(cycles(graph())).toEqual([]);
  });
});

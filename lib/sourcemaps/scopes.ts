import { parse } from "acorn";

/**
 * Scope mapping, what Sentry's symbolicator does with its js-source-scopes: a frame's function
 * is the function the frame is IN, found in the minified source, and named by the token that
 * names it there (the function's id, or the variable, property or method it is assigned to),
 * mapped back through the source map. The token at the frame's own column is often `Error` or
 * a property, never the enclosing function.
 *
 * The AST is dropped once the functions are collected: a minified file's AST is tens of times
 * its size, the index is a few typed arrays.
 */
export type ScopeIndex = {
  /** offsets in the minified source, sorted by start; nested functions follow their parent */
  starts: Int32Array;
  ends: Int32Array;
  /** the enclosing function's index, -1 at the top level */
  parents: Int32Array;
  /** the offset of each function's name token, -1 when it has none; a class method also names its class */
  nameTokens: Int32Array;
  classTokens: Int32Array;
  bytes: number;
};

type Node = { type: string; start: number; end: number; [key: string]: unknown };

const FUNCTIONS = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);

/**
 * acorn's cost grows with the tokens it reads, and its AST holds ~100 bytes a node: measured on
 * real esbuild output (0.5 tokens a byte), 1.5-2.5 s and a few hundred MB a MB of minified code
 * on these (loaded) machines; `x=[0,0,...]` has a token a byte. Past either bound the index is
 * skipped and frames are named from the map (the caller's call site, the token's own name), as
 * for a file acorn cannot read. 4 MiB of real code is ~2M tokens.
 */
export const MAX_SCOPE_SOURCE_BYTES = 4 * 1024 * 1024;
export const MAX_SCOPE_TOKENS = 2_000_000;

class TokenBudgetExceeded extends Error {}

/**
 * Parses `source` (module first, then script); null when it is not JavaScript acorn reads, or
 * past the size and token bounds above.
 */
export function buildScopeIndex(source: string, maxTokens = MAX_SCOPE_TOKENS): ScopeIndex | null {
  if (source.length > MAX_SCOPE_SOURCE_BYTES) return null;
  const program = parseLeniently(source, maxTokens);
  if (!program) return null;
  const found: { start: number; end: number; parent: number; name: number; klass: number }[] = [];
  // depth-first with an explicit stack: minified code nests deeply enough to overflow recursion
  const stack: { node: Node; parent: Node | null; scope: number; klass: number }[] = [
    { node: program, parent: null, scope: -1, klass: -1 },
  ];
  while (stack.length > 0) {
    const { node, parent, scope, klass } = stack.pop()!;
    let innerScope = scope;
    let innerClass = klass;
    if (FUNCTIONS.has(node.type)) {
      const name = nameTokenOf(node, parent);
      const methodOfClass = parent?.type === "MethodDefinition" || parent?.type === "PropertyDefinition";
      found.push({ start: node.start, end: node.end, parent: scope, name, klass: methodOfClass ? klass : -1 });
      innerScope = found.length - 1;
    } else if (node.type === "ClassDeclaration" || node.type === "ClassExpression") {
      innerClass = nameTokenOf(node, parent);
    }
    // children pushed in reverse so they are visited in source order (starts stay sorted)
    const children: Node[] = [];
    for (const key in node) {
      const value = node[key];
      if (Array.isArray(value)) {
        for (const item of value) if (isNode(item)) children.push(item);
      } else if (isNode(value)) children.push(value);
    }
    for (let i = children.length - 1; i >= 0; i--)
      stack.push({ node: children[i]!, parent: node, scope: innerScope, klass: innerClass });
  }
  const n = found.length;
  const index: ScopeIndex = {
    starts: new Int32Array(n),
    ends: new Int32Array(n),
    parents: new Int32Array(n),
    nameTokens: new Int32Array(n),
    classTokens: new Int32Array(n),
    bytes: n * 20,
  };
  found.forEach((f, i) => {
    index.starts[i] = f.start;
    index.ends[i] = f.end;
    index.parents[i] = f.parent;
    index.nameTokens[i] = f.name;
    index.classTokens[i] = f.klass;
  });
  return index;
}

/** The innermost function containing `offset`, -1 when it is at the top level. */
export function scopeAt(index: ScopeIndex, offset: number): number {
  // the last function starting at or before the offset, then out through its parents
  let low = 0;
  let high = index.starts.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (index.starts[mid]! <= offset) {
      found = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  while (found >= 0 && index.ends[found]! <= offset) found = index.parents[found]!;
  return found;
}

function parseLeniently(source: string, maxTokens: number): Node | null {
  for (const sourceType of ["module", "script"] as const) {
    let tokens = 0;
    try {
      return parse(source, {
        ecmaVersion: "latest",
        sourceType,
        allowHashBang: true,
        allowReturnOutsideFunction: sourceType === "script",
        allowAwaitOutsideFunction: true,
        allowImportExportEverywhere: true,
        // the only way to stop acorn part way: throwing from its per-token callback
        onToken: () => {
          if (++tokens > maxTokens) throw new TokenBudgetExceeded();
        },
      }) as unknown as Node;
    } catch (error) {
      // past the budget as a module is past it as a script too; else the other source type, then none
      if (error instanceof TokenBudgetExceeded) return null;
    }
  }
  return null;
}

const isNode = (value: unknown): value is Node =>
  typeof value === "object" && value !== null && typeof (value as Node).type === "string";

/** The offset of the identifier that names a function or class where it is defined, -1 if none. */
function nameTokenOf(node: Node, parent: Node | null): number {
  const id = node.id as Node | null | undefined;
  if (id?.type === "Identifier") return id.start;
  if (!parent) return -1;
  switch (parent.type) {
    case "VariableDeclarator":
      return (parent.id as Node).type === "Identifier" ? (parent.id as Node).start : -1;
    case "AssignmentExpression":
    case "AssignmentPattern": {
      const left = parent.left as Node;
      if (left.type === "Identifier") return left.start;
      if (left.type === "MemberExpression" && !left.computed) return (left.property as Node).start;
      return -1;
    }
    case "Property":
    case "MethodDefinition":
    case "PropertyDefinition": {
      if (parent.computed) return -1;
      const key = parent.key as Node;
      return key.type === "Identifier" || key.type === "PrivateIdentifier" ? key.start : -1;
    }
    default:
      // an argument (`list.map(x => ...)`) or `export default` has no name of its own
      return -1;
  }
}

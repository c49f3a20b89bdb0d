/**
 * Subscription routing rules (spec §4.3). daprd evaluates CEL; this is the subset that routing rules use in practice:
 * `event.a.b` / `event["k"]` field access, string/number/bool/null literals, `== != < <= > >=`, `&& || !`, parentheses,
 * and `has(event.x)`. Anything else is a compile error naming the unsupported text.
 */

type Node =
  | { kind: 'literal'; value: unknown }
  | { kind: 'path'; root: string; parts: string[] }
  | { kind: 'not'; operand: Node }
  | { kind: 'has'; operand: Node & { kind: 'path' } }
  | { kind: 'binary'; op: string; left: Node; right: Node };

const TOKEN =
  /\s*(?:(\d+(?:\.\d+)?)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(==|!=|<=|>=|&&|\|\||[<>!().[\]])|([A-Za-z_][A-Za-z0-9_]*))/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (m === null) throw new Error(`unsupported syntax in routing rule at '${text.slice(start).trim()}'`);
    tokens.push(m[1] ?? m[2] ?? m[3] ?? m[4]!);
  }
  return tokens;
}

function unquote(token: string): string {
  const body = token.slice(1, -1);
  return token.startsWith('"') ? (JSON.parse(token) as string) : body.replace(/\\(.)/g, '$1');
}

function parse(text: string): Node {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const take = (expected?: string) => {
    const t = tokens[i++];
    if (t === undefined || (expected !== undefined && t !== expected))
      throw new Error(`routing rule '${text}': expected ${expected ?? 'more input'}`);
    return t;
  };
  const primary = (): Node => {
    const t = take();
    if (t === '(') {
      const inner = or();
      take(')');
      return inner;
    }
    if (t === '!') return { kind: 'not', operand: primary() };
    if (/^\d/.test(t)) return { kind: 'literal', value: Number(t) };
    if (t.startsWith('"') || t.startsWith("'")) return { kind: 'literal', value: unquote(t) };
    if (t === 'true' || t === 'false') return { kind: 'literal', value: t === 'true' };
    if (t === 'null') return { kind: 'literal', value: null };
    if (t === 'has' && peek() === '(') {
      take('(');
      const operand = primary();
      take(')');
      if (operand.kind !== 'path') throw new Error(`routing rule '${text}': has() takes a field path`);
      return { kind: 'has', operand };
    }
    if (/^[A-Za-z_]/.test(t)) {
      const parts: string[] = [];
      for (;;) {
        if (peek() === '.') {
          take('.');
          parts.push(take());
        } else if (peek() === '[') {
          take('[');
          const key = take();
          take(']');
          parts.push(key.startsWith('"') || key.startsWith("'") ? unquote(key) : key);
        } else break;
      }
      return { kind: 'path', root: t, parts };
    }
    throw new Error(`routing rule '${text}': unexpected '${t}'`);
  };
  const comparison = (): Node => {
    const left = primary();
    const op = peek();
    if (op !== undefined && ['==', '!=', '<', '<=', '>', '>='].includes(op)) {
      take();
      return { kind: 'binary', op, left, right: primary() };
    }
    return left;
  };
  const and = (): Node => {
    let left = comparison();
    while (peek() === '&&') {
      take();
      left = { kind: 'binary', op: '&&', left, right: comparison() };
    }
    return left;
  };
  const or = (): Node => {
    let left = and();
    while (peek() === '||') {
      take();
      left = { kind: 'binary', op: '||', left, right: and() };
    }
    return left;
  };
  const root = or();
  if (i !== tokens.length) throw new Error(`routing rule '${text}': unexpected '${tokens[i]}'`);
  return root;
}

const MISSING = Symbol('missing');

function resolvePath(node: Node & { kind: 'path' }, variables: Record<string, unknown>): unknown {
  let value: unknown = node.root in variables ? variables[node.root] : MISSING;
  for (const part of node.parts) {
    if (typeof value !== 'object' || value === null || !(part in value)) return MISSING;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function evaluate(node: Node, variables: Record<string, unknown>): unknown {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'path': {
      const value = resolvePath(node, variables);
      if (value === MISSING) throw new Error(`no such key: ${[node.root, ...node.parts].join('.')}`);
      return value;
    }
    case 'has':
      return resolvePath(node.operand, variables) !== MISSING;
    case 'not':
      return !asBool(evaluate(node.operand, variables));
    case 'binary': {
      if (node.op === '&&') return asBool(evaluate(node.left, variables)) && asBool(evaluate(node.right, variables));
      if (node.op === '||') return asBool(evaluate(node.left, variables)) || asBool(evaluate(node.right, variables));
      const l = evaluate(node.left, variables);
      const r = evaluate(node.right, variables);
      switch (node.op) {
        case '==':
          return JSON.stringify(l) === JSON.stringify(r);
        case '!=':
          return JSON.stringify(l) !== JSON.stringify(r);
        default: {
          if (typeof l !== typeof r || (typeof l !== 'number' && typeof l !== 'string'))
            throw new Error(`cannot compare ${typeof l} with ${typeof r}`);
          const a = l as number | string;
          const b = r as number | string;
          return node.op === '<' ? a < b : node.op === '<=' ? a <= b : node.op === '>' ? a > b : a >= b;
        }
      }
    }
  }
}

function asBool(value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new Error(`routing rule did not evaluate to a boolean (got ${JSON.stringify(value)})`);
  return value;
}

export type CompiledRule = (event: Record<string, unknown>) => boolean;

/** Compiles a `match` expression; throws on syntax outside the supported subset. */
export function compileMatch(expression: string): CompiledRule {
  const tree = parse(expression);
  return (event) => asBool(evaluate(tree, { event }));
}

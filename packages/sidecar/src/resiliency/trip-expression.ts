/**
 * Circuit-breaker `trip` expressions. daprd evaluates them with CEL over the breaker's counts; this is the integer
 * and boolean subset such an expression can use: the five count names, integer literals, `true`/`false`,
 * `+ - * / %`, `== != < <= > >=`, `&& || !`, unary minus and parentheses. It is parsed once, at load, into a tree
 * and evaluated by walking it (no `eval`); anything else is a load error naming the unsupported text.
 */

export const TRIP_VARIABLES = [
  'requests',
  'totalSuccesses',
  'totalFailures',
  'consecutiveSuccesses',
  'consecutiveFailures',
] as const;

export type BreakerCounts = Record<(typeof TRIP_VARIABLES)[number], number>;
export type TripFunction = (counts: BreakerCounts) => boolean;

type Value = number | boolean;
type Node =
  | { kind: 'literal'; value: Value }
  | { kind: 'variable'; name: keyof BreakerCounts }
  | { kind: 'unary'; op: '!' | '-'; operand: Node }
  | { kind: 'binary'; op: string; left: Node; right: Node };

const TOKEN = /\s*(?:(\d+)|(==|!=|<=|>=|&&|\|\||[-+*/%<>!()])|([A-Za-z_][A-Za-z0-9_]*))/y;

// Lowest to highest binding; each level is left-associative, as in CEL.
const LEVELS: readonly (readonly string[])[] = [
  ['||'],
  ['&&'],
  ['==', '!=', '<', '<=', '>', '>='],
  ['+', '-'],
  ['*', '/', '%'],
];

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (m === null) throw new Error(`unsupported syntax at '${text.slice(start).trim()}'`);
    tokens.push(m[1] ?? m[2] ?? m[3]!);
  }
  return tokens;
}

function parse(text: string): Node {
  const tokens = tokenize(text);
  let i = 0;
  const take = () => tokens[i++];
  const level = (n: number): Node => {
    if (n === LEVELS.length) return unary();
    let left = level(n + 1);
    while (tokens[i] !== undefined && LEVELS[n]!.includes(tokens[i]!)) {
      const op = take()!;
      left = { kind: 'binary', op, left, right: level(n + 1) };
    }
    return left;
  };
  const unary = (): Node => {
    const t = take();
    if (t === undefined) throw new Error('unexpected end of expression');
    if (t === '!' || t === '-') return { kind: 'unary', op: t, operand: unary() };
    if (t === '(') {
      const inner = level(0);
      if (take() !== ')') throw new Error("missing ')'");
      return inner;
    }
    if (/^\d+$/.test(t)) return { kind: 'literal', value: Number(t) };
    if (t === 'true' || t === 'false') return { kind: 'literal', value: t === 'true' };
    if ((TRIP_VARIABLES as readonly string[]).includes(t)) return { kind: 'variable', name: t as keyof BreakerCounts };
    if (!/^[A-Za-z_]/.test(t)) throw new Error(`unexpected '${t}'`);
    throw new Error(`unknown name '${t}' (use ${TRIP_VARIABLES.join(', ')})`);
  };
  const tree = level(0);
  if (i < tokens.length) throw new Error(`unexpected '${tokens[i]}'`);
  return tree;
}

function num(v: Value, op: string): number {
  if (typeof v !== 'number') throw new Error(`'${op}' needs integers`);
  return v;
}

function bool(v: Value, op: string): boolean {
  if (typeof v !== 'boolean') throw new Error(`'${op}' needs booleans`);
  return v;
}

function evaluate(node: Node, counts: BreakerCounts): Value {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'variable':
      return counts[node.name];
    case 'unary': {
      const v = evaluate(node.operand, counts);
      return node.op === '!' ? !bool(v, '!') : -num(v, '-');
    }
    case 'binary': {
      const { op } = node;
      if (op === '&&') return bool(evaluate(node.left, counts), op) && bool(evaluate(node.right, counts), op);
      if (op === '||') return bool(evaluate(node.left, counts), op) || bool(evaluate(node.right, counts), op);
      const l = evaluate(node.left, counts);
      const r = evaluate(node.right, counts);
      if (op === '==' || op === '!=') {
        if (typeof l !== typeof r) throw new Error(`'${op}' compares different types`);
        return op === '==' ? l === r : l !== r;
      }
      const a = num(l, op);
      const b = num(r, op);
      switch (op) {
        case '<':
          return a < b;
        case '<=':
          return a <= b;
        case '>':
          return a > b;
        case '>=':
          return a >= b;
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
        case '%':
          if (b === 0) throw new Error('division by zero');
          return op === '/' ? Math.trunc(a / b) : a % b;
        default:
          throw new Error(`unknown operator '${op}'`);
      }
    }
  }
}

type Kind = 'number' | 'boolean';

/** Static type check, so a wrong expression fails at load rather than never tripping. */
function kindOf(node: Node): Kind {
  switch (node.kind) {
    case 'literal':
      return typeof node.value === 'number' ? 'number' : 'boolean';
    case 'variable':
      return 'number';
    case 'unary':
      return expect(node.operand, node.op === '!' ? 'boolean' : 'number', node.op);
    case 'binary': {
      const { op } = node;
      if (op === '&&' || op === '||') {
        expect(node.left, 'boolean', op);
        return expect(node.right, 'boolean', op);
      }
      if (op === '==' || op === '!=') {
        expect(node.right, kindOf(node.left), op);
        return 'boolean';
      }
      expect(node.left, 'number', op);
      expect(node.right, 'number', op);
      return ['<', '<=', '>', '>='].includes(op) ? 'boolean' : 'number';
    }
  }
}

function expect(node: Node, kind: Kind, op: string): Kind {
  if (kindOf(node) !== kind) throw new Error(`'${op}' needs ${kind === 'number' ? 'integers' : 'conditions'}`);
  return kind;
}

/**
 * Compiles a trip expression; throws on syntax errors and on an expression that is not a condition. At run time an
 * evaluation error (division by zero) does not trip, as daprd treats a CEL error.
 */
export function compileTrip(expression: string): TripFunction {
  const tree = parse(expression);
  if (kindOf(tree) !== 'boolean') throw new Error('the expression must be a condition (true or false)');
  return (counts) => {
    try {
      return evaluate(tree, counts) === true;
    } catch {
      return false;
    }
  };
}

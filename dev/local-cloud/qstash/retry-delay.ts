const FUNCTIONS: Record<string, (...args: number[]) => number> = {
  pow: Math.pow,
  sqrt: Math.sqrt,
  abs: Math.abs,
  exp: Math.exp,
  floor: Math.floor,
  ceil: Math.ceil,
  round: Math.round,
  min: Math.min,
  max: Math.max,
};

const TOKEN = /\s*(\d+(?:\.\d+)?|[a-z]+|[-+*/(),])/gy;

/**
 * Compiles an `Upstash-Retry-Delay` expression, QStash's arithmetic over `retried` (the
 * retries so far, from 0) with `pow sqrt abs exp floor ceil round min max`, into a function
 * answering the delay in milliseconds.
 *
 * @throws {SyntaxError} on anything else (QStash refuses such a publish).
 * @example
 * retryDelay('pow(2, retried) * 1000')(3); // 8000
 */
export function retryDelay(expression: string): (retried: number) => number {
  const tokens = tokenize(expression);
  let position = 0;
  const fail = (): never => {
    throw new SyntaxError(`invalid Upstash-Retry-Delay: ${expression}`);
  };
  const peek = () => tokens[position];
  const take = (expected?: string) => {
    const token = tokens[position++] ?? fail();
    if (expected !== undefined && token !== expected) fail();
    return token;
  };

  type Node = (retried: number) => number;
  const sum = (): Node => {
    let left = product();
    while (peek() === '+' || peek() === '-') {
      const [op, l, r] = [take(), left, product()];
      left = op === '+' ? (n) => l(n) + r(n) : (n) => l(n) - r(n);
    }
    return left;
  };
  const product = (): Node => {
    let left = unary();
    while (peek() === '*' || peek() === '/') {
      const [op, l, r] = [take(), left, unary()];
      left = op === '*' ? (n) => l(n) * r(n) : (n) => l(n) / r(n);
    }
    return left;
  };
  const unary = (): Node => {
    if (peek() !== '-') return atom();
    take();
    const inner = unary();
    return (n) => -inner(n);
  };
  const atom = (): Node => {
    const token = take();
    if (/^\d/.test(token)) return () => Number(token);
    if (token === 'retried') return (n) => n;
    if (token === '(') {
      const inner = sum();
      take(')');
      return inner;
    }
    const fn = FUNCTIONS[token] ?? fail();
    take('(');
    const args: Node[] = [sum()];
    while (peek() === ',') {
      take();
      args.push(sum());
    }
    take(')');
    return (n) => fn(...args.map((arg) => arg(n)));
  };

  const root = sum();
  if (position !== tokens.length) fail();
  return (retried) => Math.max(0, root(retried));
}

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let match = TOKEN.exec(expression);
  let end = 0;
  while (match) {
    tokens.push(match[1] ?? '');
    end = TOKEN.lastIndex;
    match = TOKEN.exec(expression);
  }
  if (expression.slice(end).trim() !== '' || tokens.length === 0) {
    throw new SyntaxError(`invalid Upstash-Retry-Delay: ${expression}`);
  }
  return tokens;
}

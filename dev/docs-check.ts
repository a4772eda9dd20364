/**
 * `npm run docs:check` (CI): every TypeScript example in README.md, AGENTS.md and docs/*.md is a
 * copy of a region of the real code, so it cannot rot. An example is a fenced block right after
 * a marker naming its source:
 *
 *     <!-- snippet: src/modules/items/items.index.ts#manifest -->
 *     ```ts
 *     …the lines between `// #region manifest` and `// #endregion manifest` of that file…
 *     ```
 *
 * The check fails on a block that differs from its region, a marker naming a missing file or
 * region, and a `ts` block without a marker. Layout does not count (Biome formats the blocks of a
 * document at their own width). `npm run docs:check -- --write` copies the regions into the
 * documents, then formats them.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

/** The documents whose examples are checked, relative to the repository root. */
export function documents(root = ROOT): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => `docs/${file}`);
  return ['README.md', 'AGENTS.md', ...docs.sort()];
}

const MARKED_BLOCK =
  /<!-- snippet: ([^#\s]+)#([\w-]+) -->\n([ \t]*```ts\n)([\s\S]*?)(^[ \t]*```)/gm;

/** The lines between `// #region name` and `// #endregion name` of `path`, dedented. */
export function region(root: string, path: string, name: string): string {
  let text: string;
  try {
    text = readFileSync(join(root, path), 'utf8');
  } catch {
    throw new Error(`${path} does not exist`);
  }
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.trim() === `// #region ${name}`);
  const end = lines.findIndex((line, i) => i > start && line.trim() === `// #endregion ${name}`);
  if (start < 0 || end < 0) throw new Error(`${path} has no region "${name}"`);
  const body = lines.slice(start + 1, end);
  const indent = Math.min(
    ...body.filter((line) => line.trim()).map((line) => line.length - line.trimStart().length),
  );
  return body.map((line) => line.slice(indent)).join('\n');
}

/** Indents `code` as the fence it goes into is indented (a block inside a list item). */
const fenced = (code: string, fence: string) => {
  const indent = fence.slice(0, fence.length - fence.trimStart().length);
  return `${code
    .split('\n')
    .map((line) => (line ? indent + line : line))
    .join('\n')}\n`;
};

/**
 * Code as Biome may lay it out in a document (which formats embedded blocks at their own
 * width): whitespace and the trailing commas of wrapped lists do not count.
 */
const comparable = (code: string) => code.replace(/\s+/g, '').replace(/,([)\]}>])/g, '$1');

/**
 * Checks (or, with `write`, refreshes) the examples of `document`; returns the problems found,
 * each naming the document, the line and what to do.
 */
export function checkDocument(root: string, document: string, write = false): string[] {
  const text = readFileSync(join(root, document), 'utf8');
  const problems: string[] = [];
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;
  const updated = text.replace(
    MARKED_BLOCK,
    (whole, path: string, name: string, open: string, code: string, close: string, at: number) => {
      let expected: string;
      try {
        expected = fenced(region(root, path, name), close);
      } catch (error) {
        problems.push(`${document}:${lineOf(at)}: ${(error as Error).message}`);
        return whole;
      }
      if (comparable(code) === comparable(expected)) return whole;
      if (!write) {
        problems.push(
          `${document}:${lineOf(at)}: differs from ${path}#${name} (npm run docs:check -- --write)`,
        );
      }
      return `<!-- snippet: ${path}#${name} -->\n${open}${expected}${close}`;
    },
  );
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (/^\s*```(ts|typescript)\s*$/.test(line) && !lines[i - 1]?.includes('<!-- snippet: ')) {
      problems.push(
        `${document}:${i + 1}: a ts example without a <!-- snippet: file#region --> marker`,
      );
    }
  });
  if (write && updated !== text) {
    writeFileSync(join(root, document), updated);
    execFileSync(join(ROOT, 'node_modules/.bin/biome'), ['format', '--write', document], {
      cwd: root,
      stdio: 'ignore',
    });
  }
  return problems;
}

if (process.argv[1] === import.meta.filename) {
  const write = process.argv.includes('--write');
  const problems = documents().flatMap((document) => checkDocument(ROOT, document, write));
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) process.exit(1);
  console.log(`docs:check: every example matches its source (${documents().join(', ')})`);
}

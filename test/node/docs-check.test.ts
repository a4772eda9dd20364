import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDocument, documents } from '../../dev/docs-check';

// Every code example of the docs is a region of the real code (issue 16).

const ROOT = join(import.meta.dirname, '..', '..');

function scratch(source: string, doc: string) {
  const root = mkdtempSync(join(tmpdir(), 'docs-check-'));
  mkdirSync(join(root, 'src'));
  writeFileSync(join(root, 'src/a.ts'), source);
  writeFileSync(join(root, 'guide.md'), doc);
  return root;
}

const SOURCE =
  'const a = 1;\n  // #region add\n  export const add = (x: number) =>\n    x + a;\n  // #endregion add\n';
const fence = '```';

describe('docs:check', () => {
  it('finds every example of README.md, AGENTS.md and docs/ equal to its source region', () => {
    expect(documents(ROOT)).toEqual(
      expect.arrayContaining(['README.md', 'AGENTS.md', 'docs/routes.md']),
    );
    expect(documents(ROOT).flatMap((document) => checkDocument(ROOT, document))).toEqual([]);
  });

  it('accepts a block equal to its region, dedented, indented as its fence or laid out anew', () => {
    const doc = `1. Add:\n\n   <!-- snippet: src/a.ts#add -->\n   ${fence}ts\n   export const add = (x: number) =>\n     x + a;\n   ${fence}\n`;
    expect(checkDocument(scratch(SOURCE, doc), 'guide.md')).toEqual([]);
    const relaid = `<!-- snippet: src/a.ts#add -->\n${fence}ts\nexport const add = (x: number) => x + a;\n${fence}\n`;
    expect(checkDocument(scratch(SOURCE, relaid), 'guide.md')).toEqual([]);
  });

  it('reports a block that drifted from its source, and --write brings it back', () => {
    const doc = `Intro\n\n<!-- snippet: src/a.ts#add -->\n${fence}ts\nexport const add = (x: number) => x + 2;\n${fence}\n`;
    const root = scratch(SOURCE, doc);
    expect(checkDocument(root, 'guide.md')).toEqual([
      'guide.md:3: differs from src/a.ts#add (npm run docs:check -- --write)',
    ]);
    expect(checkDocument(root, 'guide.md', true)).toEqual([]);
    expect(readFileSync(join(root, 'guide.md'), 'utf8')).toMatch(/x \+ a;/);
    expect(checkDocument(root, 'guide.md')).toEqual([]);
  });

  it('reports a missing region or file, and a ts block without a marker', () => {
    const doc = [
      `<!-- snippet: src/a.ts#gone -->\n${fence}ts\n${fence}`,
      `<!-- snippet: src/b.ts#add -->\n${fence}ts\n${fence}`,
      `Pasted:\n\n${fence}ts\nconst b = 2;\n${fence}`,
      `A shell block is not code to check:\n\n${fence}sh\nnpm test\n${fence}\n`,
    ].join('\n\n');
    expect(checkDocument(scratch(SOURCE, doc), 'guide.md')).toEqual([
      'guide.md:1: src/a.ts has no region "gone"',
      'guide.md:5: src/b.ts does not exist',
      'guide.md:11: a ts example without a <!-- snippet: file#region --> marker',
    ]);
  });
});

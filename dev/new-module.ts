/**
 * `npm run new:module <name> [-- --fields "title:string, done:boolean?"] [--singular <word>] [--dry-run]`
 *
 * Writes a resource module made like `src/modules/items/` (it is derived from those files, so it
 * cannot drift from them): routes, handlers, service, schemas, purge task, manifest, table,
 * migration (drizzle-kit), test helper and tests, and registers it in `src/modules/index.ts`.
 * Nothing is written when a target exists or the name or fields are refused.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_FIELDS, parseFields } from './new-module/fields';
import { moduleNames } from './new-module/names';
import { conflicts, planModule } from './new-module/plan';

const ROOT = join(import.meta.dirname, '..');
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      fields: { type: 'string', default: DEFAULT_FIELDS },
      singular: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  const [name, ...extra] = positionals;
  if (!name || extra.length > 0) {
    throw new Error(
      'usage: npm run new:module <name> [-- --fields "title:string, done:boolean?"] [--singular <word>] [--dry-run]',
    );
  }
  const names = moduleNames(name, values.singular);
  const fields = parseFields(values.fields);
  const files = planModule(ROOT, names, fields);
  const taken = conflicts(ROOT, names, files);
  if (taken.length > 0) {
    throw new Error(`nothing written: these already exist\n  ${taken.join('\n  ')}`);
  }
  const migration = `migrations/NNNN_${names.plural.snake}.sql (drizzle-kit generate --name ${names.plural.snake})`;
  if (values['dry-run']) {
    console.log(`npm run new:module ${name} would write:`);
    for (const file of files) console.log(`  ${file.action} ${file.path}`);
    console.log(`  create ${migration}`);
    return;
  }
  for (const file of files) {
    mkdirSync(dirname(join(ROOT, file.path)), { recursive: true });
    writeFileSync(join(ROOT, file.path), file.content);
    console.log(`  ${file.action} ${file.path}`);
  }
  execFileSync(bin('biome'), ['check', '--write', ...files.map((file) => file.path)], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  execFileSync(bin('drizzle-kit'), ['generate', '--name', names.plural.snake], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  console.log(
    `\nModule ${names.plural.kebab} is in place. Next: npm run typecheck && npm run lint && npx vitest run test/modules/${names.plural.kebab}`,
  );
}

try {
  main();
} catch (error) {
  console.error(`new:module: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

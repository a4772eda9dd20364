/**
 * `npm run check:generator` (CI): copies the repository (tracked and new files, as the work tree
 * has them) into a scratch directory, generates modules there with `npm run new:module`, then
 * runs typecheck, lint, the generated modules' tests and the cron test. All must pass; the
 * scratch copy is removed on success and kept (its path printed) on failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

/** What CI generates: the README's example, and one field of every type, optional ones too. */
const MODULES = [
  ['widgets', '--fields', 'name:string, done:boolean'],
  [
    'gadget-parts',
    '--fields',
    'label:string, notes:text?, quantity:integer, fragile:boolean?, due_at:timestamp?',
  ],
];

function run(cwd: string, command: string, args: string[]) {
  console.log(`\n$ ${command} ${args.join(' ')}`);
  execFileSync(command, args, { cwd, stdio: 'inherit' });
}

function copyRepository(target: string) {
  const listed = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  for (const file of listed.split('\0').filter(Boolean)) {
    mkdirSync(dirname(join(target, file)), { recursive: true });
    // A tracked file deleted in the work tree is not part of the copy.
    try {
      cpSync(join(ROOT, file), join(target, file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(target, 'node_modules'), 'dir');
}

/** Generating `widgets` again must fail, name what exists, and change nothing. */
function refusesToOverwrite(cwd: string) {
  const index = readFileSync(join(cwd, 'src/modules/index.ts'), 'utf8');
  const again = spawnSync('npm', ['run', '--silent', 'new:module', '--', 'widgets'], {
    cwd,
    encoding: 'utf8',
  });
  if (again.status !== 1 || !again.stderr.includes('nothing written: these already exist')) {
    throw new Error(`new:module overwrote or failed otherwise:\n${again.stdout}${again.stderr}`);
  }
  if (readFileSync(join(cwd, 'src/modules/index.ts'), 'utf8') !== index) {
    throw new Error('new:module refused but changed src/modules/index.ts');
  }
  console.log('\nnew:module widgets again: refused, nothing written');
}

const scratch = mkdtempSync(join(tmpdir(), 'stratus-generator-'));
try {
  copyRepository(scratch);
  for (const args of MODULES) run(scratch, 'npm', ['run', '--silent', 'new:module', '--', ...args]);
  refusesToOverwrite(scratch);
  run(scratch, 'npm', ['run', '--silent', 'typecheck']);
  run(scratch, 'npm', ['run', '--silent', 'lint']);
  const tests = MODULES.map(([name]) => `test/modules/${name}/`);
  run(scratch, 'npx', ['vitest', 'run', ...tests, 'test/modules/jobs/cron.test.ts']);
  rmSync(scratch, { recursive: true, force: true });
  console.log('\ncheck:generator: generated modules typecheck, lint and pass their tests');
} catch (error) {
  console.error(`\ncheck:generator failed; the scratch copy is kept in ${scratch}`);
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

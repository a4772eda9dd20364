// Copies the Swagger UI and ReDoc bundles from their npm packages into public/vendor, which
// wrangler serves as static assets, so the docs pages work offline and under the CSP.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const packageDir = (name) => dirname(require.resolve(`${name}/package.json`));

const assets = [
  ['swagger-ui-dist', 'swagger-ui-bundle.js', 'swagger-ui'],
  ['swagger-ui-dist', 'swagger-ui.css', 'swagger-ui'],
  ['swagger-ui-dist', 'favicon-32x32.png', 'swagger-ui'],
  ['redoc', 'bundles/redoc.standalone.js', 'redoc'],
];

for (const [pkg, file, target] of assets) {
  const dir = join(root, 'public', 'vendor', target);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(packageDir(pkg), file), join(dir, file.split('/').pop()));
}

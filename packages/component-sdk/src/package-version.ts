import { readFileSync } from 'node:fs';

/**
 * The `version` of the package.json one folder above `moduleUrl` (a module in the package's `src/` or `dist/`).
 * Read at load time, so a package's reported version is always what changesets published, never a copy.
 */
export function readPackageVersion(moduleUrl: string | URL): string {
  const manifest = new URL('../package.json', moduleUrl);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown };
  if (typeof version !== 'string' || version === '') throw new Error(`${manifest.pathname} has no version`);
  return version;
}

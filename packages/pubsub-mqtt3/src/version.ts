import { readPackageVersion } from '@daprkit/component-sdk';

/** This package's version, read from its package.json so it never drifts from what changesets publish. */
export const VERSION = readPackageVersion(import.meta.url);

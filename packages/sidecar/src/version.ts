import { readPackageVersion } from '@daprkit/component-sdk';

/** This package's version, read from its package.json so it never drifts from what changesets publish. */
export const VERSION = readPackageVersion(import.meta.url);

/**
 * The Dapr runtime whose API and behaviour the sidecar follows (differential tests run against this daprd). It is
 * what `--version` prints and `/v1.0/metadata` reports as `runtimeVersion`, so Dapr tooling that parses daprd's
 * version (the CLI's semver checks) works; daprkit's own version is `extended.daprkitVersion`.
 */
export const DAPR_API_VERSION = '1.18.1';

/** A Go-MySQL DSN (+ contrib's `pemPath`, registered as the TLS config `custom`) → mysql2 connection options. */
import { readFile } from 'node:fs/promises';
import { errnoOf, InvalidMetadataError, unusablePathError } from '@daprkit/component-sdk';
import type { ConnectionOptions, SslOptions } from 'mysql2/promise';
import type { GoMySqlDsn } from './dsn.js';

/** daprd gives Init 5 s; failing inside that window lets us say why. */
export const MAX_INIT_CONNECT_MS = 5_000;

/** `field` is the metadata name holding the DSN (state.mysql: `connectionString`, bindings.mysql: `url`). */
export async function sslOptions(
  dsn: GoMySqlDsn,
  pemPath: string | undefined,
  field = 'connectionString',
): Promise<SslOptions | undefined> {
  switch (dsn.tls.mode) {
    case 'off':
      return undefined;
    case 'verify':
      return { rejectUnauthorized: true, verifyIdentity: true };
    case 'skip-verify':
      return { rejectUnauthorized: false };
    case 'named': {
      // Contrib registers pemPath as the only named TLS config, 'custom'.
      if (dsn.tls.name !== 'custom') {
        throw new InvalidMetadataError(
          field,
          `unknown TLS config '${dsn.tls.name}' (only 'custom', with pemPath, exists)`,
        );
      }
      if (pemPath === undefined)
        throw new InvalidMetadataError('pemPath', `is required when the ${field} has tls=custom`);
      const ca = await readFile(pemPath, 'utf8').catch((err: unknown) => {
        throw unusablePathError('pemPath', 'must name a readable PEM file', `cannot read: ${errnoOf(err)}`);
      });
      return { ca, rejectUnauthorized: true, verifyIdentity: true, minVersion: 'TLSv1.2' };
    }
  }
}

/** Address, credentials, charset, TLS, compression and connect timeout from the DSN. */
export function baseOptions(dsn: GoMySqlDsn, ssl: SslOptions | undefined): ConnectionOptions {
  const address =
    dsn.address.net === 'unix'
      ? { socketPath: dsn.address.socketPath }
      : { host: dsn.address.host, port: dsn.address.port };
  return {
    ...address,
    user: dsn.user,
    password: dsn.password,
    ...(dsn.charset !== undefined && { charset: dsn.charset }),
    ...(ssl !== undefined && { ssl }),
    compress: dsn.compress,
    enableCleartextPlugin: dsn.allowCleartextPasswords,
    connectTimeout: dsn.connectTimeoutMs ?? MAX_INIT_CONNECT_MS,
  };
}

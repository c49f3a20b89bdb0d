/**
 * Component metadata of `state.mongodb` (contrib names and defaults), validated into settings, and the connection
 * URI contrib builds from them.
 */
import {
  field,
  InvalidMetadataError,
  type Metadata,
  type MetadataOf,
  parseDuration,
  parseMetadata,
} from '@daprkit/component-sdk';

export const mongoStateStoreMetadataSchema = {
  connectionString: field.string({
    secret: true,
    description: 'full mongodb:// or mongodb+srv:// URI; when set, host/server/credentials/params are ignored',
  }),
  host: field.string({ description: "'host:port' of the server (exclusive with server)" }),
  server: field.string({ description: 'mongodb+srv:// host name (exclusive with host)' }),
  username: field.string({ description: 'user name (used only together with password)' }),
  password: field.string({ secret: true, description: 'password (used only together with username)' }),
  databaseName: field.string({ default: 'daprStore', description: 'database' }),
  collectionName: field.string({ default: 'daprCollection', description: 'collection holding one document per key' }),
  params: field.string({ description: "URI options, e.g. 'authSource=admin&tls=true' ('?' is prepended if missing)" }),
  writeConcern: field.string({ description: "'majority' or a number of nodes; default w:1 (journal always on)" }),
  readConcern: field.enum({
    values: ['local', 'majority', 'available', 'linearizable', 'snapshot'],
    caseSensitive: true,
    default: 'local',
    description: 'read concern of every read',
  }),
  operationTimeout: field.string({
    default: '5s',
    description: 'Go duration (a bare number is refused, as in contrib); bounds connecting and every operation',
  }),
};

export type MongoStateStoreMetadata = MetadataOf<typeof mongoStateStoreMetadataSchema>;

export interface MongoSettings {
  uri: string;
  /** The URI with any password replaced, for messages. */
  target: string;
  password?: string;
  databaseName: string;
  collectionName: string;
  writeConcern: { w: number | 'majority'; journal: true; wtimeoutMS: number };
  readConcern: MongoStateStoreMetadata['readConcern'];
  operationTimeoutMs: number;
  /** contrib: transactions need `replicaSet` in the URI options (decided at init, never probed). */
  replicaSet: boolean;
}

const WTIMEOUT_MS = 5_000;

function userInfo(username: string, password: string): string {
  return `${encodeURIComponent(username)}:${encodeURIComponent(password)}@`;
}

/** contrib's four URI shapes (credentials percent-encoded here: the Node driver refuses them raw). */
export function connectionUri(m: MongoStateStoreMetadata): string {
  if (m.connectionString) return m.connectionString;
  const creds = m.username && m.password ? userInfo(m.username, m.password) : '';
  const params = m.params ? (m.params.startsWith('?') ? m.params : `?${m.params}`) : '';
  if (m.server) {
    return creds
      ? `mongodb+srv://${creds}${m.server}/${m.databaseName}${params}`
      : `mongodb+srv://${m.server}/${params}`;
  }
  return `mongodb://${creds}${m.host}/${m.databaseName}${params}`;
}

export function redact(uri: string): string {
  return uri.replace(/^(mongodb(?:\+srv)?:\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

export function readSettings(properties: Metadata): MongoSettings {
  const m = parseMetadata(properties, mongoStateStoreMetadataSchema);
  if (!m.connectionString) {
    if (!m.host && !m.server) throw new InvalidMetadataError('host', "must set 'host' or 'server' fields in metadata");
    if (m.host && m.server) throw new InvalidMetadataError('host', "'host' or 'server' fields are mutually exclusive");
  }
  const timeoutText = m.operationTimeout.trim();
  const operationTimeoutMs = /^[-+]?\d+(?:\.\d+)?$/.test(timeoutText) ? undefined : parseDuration(timeoutText);
  if (operationTimeoutMs === undefined || operationTimeoutMs <= 0) {
    throw new InvalidMetadataError(
      'operationTimeout',
      `incorrect operationTimeout field from metadata: '${timeoutText}'`,
    );
  }
  let w: number | 'majority' = 1;
  if (m.writeConcern) {
    if (m.writeConcern === 'majority') w = 'majority';
    else if (/^\d+$/.test(m.writeConcern)) w = Number(m.writeConcern);
    else throw new InvalidMetadataError('writeConcern', `expected 'majority' or a number, got '${m.writeConcern}'`);
  }
  const uri = connectionUri(m);
  let password: string | undefined;
  try {
    password = decodeURIComponent(new URL(uri.replace(/^mongodb(\+srv)?:/, 'http:')).password) || undefined;
  } catch {
    password = m.password;
  }
  const query = uri.includes('?') ? new URLSearchParams(uri.slice(uri.indexOf('?') + 1)) : new URLSearchParams();
  const replicaSet = [...query.keys()].some((k) => k.toLowerCase() === 'replicaset' && query.get(k) !== '');
  return {
    uri,
    target: redact(uri),
    password,
    databaseName: m.databaseName,
    collectionName: m.collectionName,
    writeConcern: { w, journal: true, wtimeoutMS: WTIMEOUT_MS },
    readConcern: m.readConcern,
    operationTimeoutMs,
    replicaSet,
  };
}

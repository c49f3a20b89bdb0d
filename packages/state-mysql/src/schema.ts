/**
 * Creates or upgrades the tables contrib's state.mysql uses, so Go and TypeScript sidecars can share them.
 * Safe to run concurrently from several processes: every step is idempotent.
 */
import type { Logger } from '@daprkit/component-sdk';
import type { Pool, RowDataPacket } from 'mysql2/promise';

/** Several sidecars may upgrade the same table at once; losing that race is fine. */
const ALREADY_DONE = new Set(['ER_DUP_FIELDNAME', 'ER_DUP_KEYNAME']);

/**
 * Dapr keys are case-sensitive, so new tables compare `id` byte for byte — unlike contrib, whose `id` takes the
 * server's default (case-insensitive) collation. NO PAD variants also keep `a` and `a ` apart.
 * Existing tables keep whatever collation they have.
 */
const BINARY_ID_COLLATIONS = ['utf8mb4_0900_bin', 'utf8mb4_nopad_bin', 'utf8mb4_bin'];

async function binaryIdCollation(pool: Pool): Promise<string> {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS WHERE COLLATION_NAME IN (?)',
    [BINARY_ID_COLLATIONS],
  );
  const available = new Set(rows.map((row) => String(row.name)));
  return BINARY_ID_COLLATIONS.find((name) => available.has(name)) ?? 'utf8mb4_bin';
}

async function alterUnlessDone(pool: Pool, sql: string): Promise<void> {
  try {
    await pool.query(sql);
  } catch (err) {
    if (!ALREADY_DONE.has((err as { code?: string }).code ?? '')) throw err;
  }
}

export async function ensureSchema(
  pool: Pool,
  names: { schemaName: string; tableName: string; metadataTableName: string },
  logger: Logger,
): Promise<void> {
  const { schemaName, tableName, metadataTableName } = names;
  const collation = await binaryIdCollation(pool);
  await pool.query(`CREATE TABLE IF NOT EXISTS \`${tableName}\` (
    id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE ${collation} NOT NULL PRIMARY KEY,
    value JSON NOT NULL,
    isbinary BOOLEAN NOT NULL,
    insertDate TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updateDate TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    eTag VARCHAR(36) NOT NULL,
    expiredate TIMESTAMP NULL,
    row_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    INDEX expiredate_idx (expiredate),
    UNIQUE KEY row_id_uidx (row_id)
  ) DEFAULT CHARACTER SET utf8mb4`);

  const [columns] = await pool.query<RowDataPacket[]>(
    'SELECT COLUMN_NAME AS name, COLLATION_NAME AS collation FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [schemaName, tableName],
  );
  const byName = new Map(columns.map((column) => [String(column.name).toLowerCase(), column]));
  // Tables created before Dapr 1.11 lack expiredate; before 1.17, row_id.
  if (!byName.has('expiredate')) {
    await alterUnlessDone(
      pool,
      `ALTER TABLE \`${tableName}\` ADD COLUMN expiredate TIMESTAMP NULL, ADD INDEX expiredate_idx (expiredate)`,
    );
  }
  if (!byName.has('row_id')) {
    await alterUnlessDone(
      pool,
      `ALTER TABLE \`${tableName}\` ADD COLUMN row_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT, ADD UNIQUE KEY row_id_uidx (row_id)`,
    );
  }
  const idCollation = String(byName.get('id')?.collation ?? '');
  if (!idCollation.endsWith('_bin')) {
    logger.warn(
      'state.mysql: the existing table compares keys case-insensitively; keys differing only by case share a row',
      {
        table: `${schemaName}.${tableName}`,
        collation: idCollation,
      },
    );
  }

  await pool.query(`CREATE TABLE IF NOT EXISTS \`${metadataTableName}\` (
    id VARCHAR(255) NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
  ) DEFAULT CHARACTER SET utf8mb4`);
}

/**
 * @daprkit/mysql-common — what daprkit's MySQL/MariaDB components share: Go-MySQL DSNs
 * (`user:password@tcp(host:3306)/db?tls=custom`) split exactly as go-sql-driver/mysql does, so a DSN written for
 * contrib's state.mysql or bindings.mysql means the same here.
 */

export { baseOptions, MAX_INIT_CONNECT_MS, sslOptions } from './connect.js';
export { type Address, describeAddress, type GoMySqlDsn, parseGoMySqlDsn, type TlsSetting } from './dsn.js';

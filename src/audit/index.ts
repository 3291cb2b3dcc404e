export { canonicalJson, sha256Hex, CanonicalEncodingError, type Canonical } from './canonical.js';
export { appKey, recordHash } from './chain.js';
export { LedgerDataError, LedgerError } from './errors.js';
export { csvHeader, csvRow, exportRecords, type ExportFormat } from './export.js';
export { defaultLedgerUrl, openLedger, parseLedgerUrl, type LedgerLocation } from './open.js';
export {
  defaultPostgresLedgerOptions,
  PostgresLedger,
  type PostgresLedgerOptions,
} from './postgres.js';
export { objectChange, safePaths, sanitizeEntry, secretDataChanged } from './sanitize.js';
export { defaultSqliteLedgerOptions, SqliteLedger, type SqliteLedgerOptions } from './sqlite.js';
export * from './types.js';

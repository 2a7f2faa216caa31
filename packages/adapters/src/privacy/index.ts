export { SqlPrivacyStore, createSqlPrivacyStore } from './sql-privacy-store.js';
export { createZip, readZip, crc32, type ZipEntry } from './zip.js';
export {
  EXPORT_FORMAT, ExportManifest, SqlContactDirectory, SqlExportReader, SqlExportStore, buildExportZip, createSqlExportStores, ordersCsv, type ExportSection,
} from './export-bundle.js';

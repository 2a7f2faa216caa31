// Catalog, stock and order files: a streaming CSV reader and writer, two-pass imports that apply
// nothing until the whole file checks out, and paged exports.
export { parseCsv, csvObjects, csvLine, CsvSyntaxError, MAX_FIELD_CHARS, MAX_FIELDS, type CsvRecord } from './csv.js';
export { importCatalogCsv, importStockCsv, exportCatalogCsv, exportStockCsv, type CsvImportOptions, type CsvSource, type ImportReport, type CatalogReaders } from './catalog-csv.js';
export { exportOrdersCsv, orderCsvLine, ORDER_CSV_COLUMNS } from './orders-csv.js';

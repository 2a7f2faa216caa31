export { SqlAssistantRecords, createSqlAssistantRecords } from './sql-assistant-records.js';

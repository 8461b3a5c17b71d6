// Test helper: an in-memory database with the real migrations.
import { type OpenedDatabase, openDatabase } from "./client.ts";

export function openTestDatabase(): OpenedDatabase {
  return openDatabase(":memory:");
}

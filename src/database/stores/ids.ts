const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs made in the app; anything else cannot name a row (and would upset PostgreSQL's uuid type). */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

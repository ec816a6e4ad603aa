// Counts of what is open, by key, kept only while above zero: the maps hold only what is open.
export function count(map: Map<string, number>, key: string, by: 1 | -1): void {
  const n = (map.get(key) ?? 0) + by;
  if (n > 0) map.set(key, n);
  else map.delete(key);
}

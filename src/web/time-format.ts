// Times as the agents' and admins' pages write them: UTC, to the second (the pages' headings say UTC;
// the CSV export too). The floor's "today" follows TIME_ZONE instead (domain/time-zone.ts).
export const utcDateTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

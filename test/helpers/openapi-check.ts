// Checks /api/v1/openapi.json against what the tests saw: every operation an ApiClient recorded, with
// every status code it answered, must be documented.
import type { ApiRecorder } from './api-client.ts';

interface OpenApiDoc {
  openapi?: unknown;
  paths?: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
}

export async function fetchOpenApi(baseUrl: string): Promise<{ status: number; doc: OpenApiDoc }> {
  const res = await fetch(new URL('/api/v1/openapi.json', baseUrl));
  return { status: res.status, doc: (await res.json()) as OpenApiDoc };
}

// Operations the server answers but the document does not describe: none.
export const KNOWN_UNDOCUMENTED: ReadonlySet<string> = new Set();

const normalisePath = (p: string) => p.replace(/\{[^}]+\}/g, '{}');

/** Problems with how `doc` describes the recorded operations: missing path, method or status code. */
export function undocumented(doc: OpenApiDoc, recorder: ApiRecorder, ignore: ReadonlySet<string> = new Set()): string[] {
  const problems: string[] = [];
  const paths = Object.entries(doc.paths ?? {});
  for (const [key, op] of recorder.operations) {
    if (ignore.has(key)) continue;
    const entry = paths.find(([p]) => normalisePath(p) === normalisePath(op.path));
    const operation = entry?.[1][op.method];
    if (!operation) {
      problems.push(`${op.method.toUpperCase()} ${op.path} is not documented`);
      continue;
    }
    const listed = Object.keys(operation.responses ?? {});
    for (const status of [...op.statuses].sort()) {
      const range = `${String(status)[0]}XX`;
      if (!listed.includes(String(status)) && !listed.includes(range)) {
        problems.push(`${op.method.toUpperCase()} ${op.path} answered ${status}, which is not listed (listed: ${listed.join(', ')})`);
      }
    }
  }
  return problems;
}

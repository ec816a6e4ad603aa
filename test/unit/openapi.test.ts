import t from 'tap';
import { E164, LIMITS } from '../../src/domain/limits.ts';
import { openApiDocument } from '../../src/web/openapi.ts';

// The document's schemas are generated from zod; these checks catch a reference to a schema that was not
// generated and a limit that no longer reaches the document.

const schemas = openApiDocument.components.schemas as Record<string, { properties?: Record<string, Record<string, unknown>> }>;

t.test('every $ref in the document names a schema or response it holds', async (t) => {
  const refs = JSON.stringify(openApiDocument).match(/"\$ref":"[^"]+"/g) ?? [];
  t.ok(refs.length > 10, 'the operations use the shared schemas');
  for (const ref of new Set(refs)) {
    const [, kind, name] = /#\/components\/(schemas|responses)\/([^"]+)/.exec(ref) ?? [];
    const held = kind === 'schemas' ? schemas : (openApiDocument.components.responses as Record<string, unknown>);
    t.ok(name !== undefined && held[name], `${ref} resolves`);
  }
});

t.test('the limits of the domain reach the document, also those the domain checks itself', async (t) => {
  t.match(schemas.NewMessage?.properties?.text, { minLength: 1, maxLength: LIMITS.textMaxChars });
  t.match(schemas.NewMessage?.properties?.client_id, { maxLength: LIMITS.clientIdMaxChars });
  t.match(schemas.NewChat?.properties?.name, { maxLength: LIMITS.nameMaxChars });
  t.match(schemas.NewChat?.properties?.phone, { pattern: E164.source });
  t.match(schemas.Context?.properties?.fields, {
    maxProperties: LIMITS.contextMaxFields,
    propertyNames: { maxLength: LIMITS.contextKeyMaxChars },
    additionalProperties: { maxLength: LIMITS.contextValueMaxChars },
  });
  t.match(schemas.SmsInbound?.properties?.text, { maxLength: LIMITS.textMaxChars });
});

t.test('no schema carries the markers of a standalone JSON Schema document', async (t) => {
  for (const [name, schema] of Object.entries(schemas)) {
    t.notOk('$schema' in schema || '$id' in schema, name);
  }
});

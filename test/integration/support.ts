// Only for test/integration/persistence.test.ts (store branch), until its imports name test/helpers/
// directly; then this file goes. Every helper lives in test/helpers/.
export { ApiClient, type MessageJson } from '../helpers/api-client.ts';
export { PNG } from '../helpers/images.ts';
export { fetchOpenApi, KNOWN_UNDOCUMENTED, undocumented } from '../helpers/openapi-check.ts';

// ari-client ships no types; client.ts gives the typed view the controller uses.
declare module 'ari-client' {
  const client: unknown;
  export default client;
}

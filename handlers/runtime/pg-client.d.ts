/** pg's Client on its own (connections.ts): @types/pg declares it only on pg's index. */
declare module 'pg/lib/client.js' {
  export { Client as default } from 'pg';
}

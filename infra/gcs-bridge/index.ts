/** GCS bridge: a local stand-in for the Cloud Storage JSON API (what @google-cloud/storage uses for the spool). */

export { crc32c, crc32cBase64, md5Base64 } from './hashes.ts';
export { type GcsBridge, type GcsBridgeOptions, type LoggedRequest, startGcsBridge } from './server.ts';

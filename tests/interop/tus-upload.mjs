// Uploads a file with tus-js-client (the reference tus client, from npm) to
// Témoin's intake server, as a device would: Bearer token, bundle_id in
// the metadata, 1 MiB chunks. Prints the upload URL on success.
// Usage: node tus-upload.mjs ENDPOINT TOKEN BUNDLE_ID FILE CERT_PEM
import fs from 'node:fs';
import * as tus from 'tus-js-client';

const [, , endpoint, token, bundleId, file, certFile] = process.argv;
const size = fs.statSync(file).size;
const upload = new tus.Upload(fs.createReadStream(file), {
  endpoint,
  uploadSize: size,
  chunkSize: 1024 * 1024,
  retryDelays: [0, 200, 1000],
  headers: { Authorization: `Bearer ${token}` },
  metadata: { bundle_id: bundleId },
  // Trust exactly the intake server's own certificate (it is self-signed
  // and pinned; the host name check is the pin's job here).
  httpStack: new tus.DefaultHttpStack({
    ca: fs.readFileSync(certFile),
    checkServerIdentity: () => undefined,
  }),
  onError: (e) => {
    console.error(`upload failed: ${e.message}`);
    process.exit(1);
  },
  onSuccess: () => console.log(upload.url),
});
upload.start();

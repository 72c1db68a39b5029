// A tus server Témoin did not write (@tus/server with @tus/file-store, from
// npm) over HTTPS, for Témoin's client to upload to. Prints
// "listening PORT" when ready.
// Usage: node tus-server.mjs DIR CERT_PEM KEY_PEM
import fs from 'node:fs';
import https from 'node:https';
import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';

const [, , dir, certFile, keyFile] = process.argv;
const tus = new Server({
  path: '/v1/uploads',
  relativeLocation: true,
  datastore: new FileStore({ directory: dir }),
});
const server = https.createServer(
  { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) },
  (req, res) => tus.handle(req, res),
);
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));

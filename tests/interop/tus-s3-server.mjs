// The reference of the intake's load benchmark: the tus server Témoin did not
// write (@tus/server with @tus/s3-store, from npm) over HTTPS, storing in the
// same S3 bucket as the intake server under test, with the same part size
// (8 MiB) and S3's minimum (5 MiB). Prints "listening PORT" when ready.
// Usage: node tus-s3-server.mjs CERT_PEM KEY_PEM ENDPOINT BUCKET KEY_ID SECRET [PORT]
import fs from 'node:fs';
import https from 'node:https';
import { Server } from '@tus/server';
import { S3Store } from '@tus/s3-store';

const [, , certFile, keyFile, endpoint, bucket, accessKeyId, secretAccessKey, port] =
  process.argv;
const tus = new Server({
  path: '/v1/uploads',
  relativeLocation: true,
  datastore: new S3Store({
    partSize: 8 * 1024 * 1024,
    minPartSize: 5 * 1024 * 1024,
    useTags: false,
    s3ClientConfig: {
      bucket,
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
    },
  }),
});
const server = https.createServer(
  { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) },
  (req, res) => tus.handle(req, res),
);
server.listen(Number(port || 0), '127.0.0.1', () =>
  console.log(`listening ${server.address().port}`),
);

// An HTTP/2 static server over TLS on the loopback interface, for benchmarks only: the same files and gzip
// encoding as bench/browser_server.py (HTTP/1.1), but every request multiplexed on one connection, as
// GitHub Pages, Netlify or a CDN serve a static site. Prints the base URL on one line.
//
//     node bench/h2_server.mjs FOLDER KEY.pem CERT.pem
import {createSecureServer} from "node:http2";
import {readFileSync, statSync} from "node:fs";
import {extname, join, normalize} from "node:path";
import {gzipSync} from "node:zlib";

const [root, keyFile, certFile] = process.argv.slice(2);
const TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript",
  ".json": "application/json", ".css": "text/css", ".wasm": "application/wasm", ".svg": "image/svg+xml",
  ".png": "image/png", ".woff2": "font/woff2"};
// Pagefind's files and images are compressed already; sent as they are.
const STORED = /\.(pagefind|pf_index|pf_meta|pf_fragment|pf_filter|gz|png|jpg|woff2)$/;
const gzipped = new Map();  // each file compressed once, as a server with precompressed files

const server = createSecureServer({key: readFileSync(keyFile), cert: readFileSync(certFile), allowHTTP1: false});
server.on("stream", (stream, headers) => {
  let path = decodeURIComponent((headers[":path"] || "/").split("?")[0]);
  path = normalize(join(root, path));
  if (!path.startsWith(normalize(root))) { stream.respond({":status": 403}); stream.end(); return; }
  try {
    if (statSync(path).isDirectory()) path = join(path, "index.html");
    const type = TYPES[extname(path)] || "application/octet-stream";
    const accepts = (headers["accept-encoding"] || "").includes("gzip");
    if (accepts && !STORED.test(path)) {
      let body = gzipped.get(path);
      if (!body) { body = gzipSync(readFileSync(path), {level: 6}); gzipped.set(path, body); }
      stream.respond({":status": 200, "content-type": type, "content-encoding": "gzip", "cache-control": "no-cache"});
      stream.end(body);
    } else {
      stream.respond({":status": 200, "content-type": type, "cache-control": "no-cache"});
      stream.end(readFileSync(path));
    }
  } catch {
    stream.respond({":status": 404});
    stream.end();
  }
});
server.on("sessionError", () => {});
server.listen(0, "127.0.0.1", () => { console.log(`https://127.0.0.1:${server.address().port}/`); });

"""A static file server on the loopback interface that gzips like a CDN (for tests and benchmarks).

Any static server can host the site; this one exists so that tests and benchmarks measure the bytes a
browser really transfers: text and index files are sent gzip-encoded when the browser accepts it, files
that are already compressed (Pagefind's ``.pf_*`` and wasm) are sent as they are.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

_PRECOMPRESSED = (".pagefind", ".pf_index", ".pf_meta", ".pf_fragment", ".pf_filter", ".gz", ".png", ".jpg", ".woff2")
_cache: dict[tuple[str, int], bytes] = {}
_lock = threading.Lock()
# Gzipped copies survive the server process (one per measurement), as a static server's precompressed files.
_GZIP_DIR = Path(tempfile.gettempdir()) / "yokoten-bench-gzip"


def precompress(root: Path) -> int:
    """Gzip every file under ``root`` that the server sends gzip-encoded, before a measurement.

    A static host serves precompressed files (or a CDN its cached compressed copy): without this, the
    first request of each file would also wait for its compression, which costs more the larger the file.
    Returns the number of files.
    """
    count = 0
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.endswith(_PRECOMPRESSED):
            _gzipped(path, keep=False)
            count += 1
    return count


def _gzipped(path: Path, keep: bool = True) -> bytes:
    """The gzip encoding of a file, compressed once per file version (memory, then a scratch folder)."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns)
    with _lock:
        body = _cache.get(key)
    if body is None:
        stored = _GZIP_DIR / (hashlib.sha1(f"{key[0]}\0{key[1]}\0{stat.st_size}".encode()).hexdigest() + ".gz")
        if stored.exists():
            body = stored.read_bytes()
        else:
            body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
            _GZIP_DIR.mkdir(exist_ok=True)
            scratch = stored.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            scratch.write_bytes(body)
            scratch.replace(stored)
        if keep:
            with _lock:
                _cache[key] = body
    return body


class _Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as any production static server
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stall
    extensions_map: ClassVar[dict[str, str]] = {**SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript", ".mjs": "text/javascript",
                      ".json": "application/json", ".wasm": "application/wasm", ".bin": "application/octet-stream"}

    def log_message(self, format: str, *args: object) -> None:
        return

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def send_head(self):  # type: ignore[no-untyped-def]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            index = path / "index.html"
            if not self.path.split("?")[0].endswith("/") or not index.exists():
                return super().send_head()
            path = index
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not path.is_file() or not accepts or path.name.endswith(_PRECOMPRESSED):
            return super().send_head()
        body = _gzipped(path)
        import io

        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        return  # a browser closing a connection early (navigation) is not an error here


@contextmanager
def serve(root: Path, protocol: str = "h1") -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 (a free port) for the duration of the block; yields the base URL.

    The server runs in a process of its own, so that its threads do not compete for the GIL with the
    browser driver (Playwright) running in the caller's process. ``protocol`` ``h2`` serves the same
    files over HTTP/2 with TLS (``bench/h2_server.mjs``, a self-signed certificate made for the run:
    start Chromium with ``--ignore-certificate-errors``), as hosts of static sites do.
    """
    command = [sys.executable, str(Path(__file__).resolve()), str(root)]
    with contextlib.ExitStack() as stack:
        if protocol == "h2":
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="yokoten-h2-")))
            key, cert = scratch / "key.pem", scratch / "cert.pem"
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                            "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
            command = ["node", str(Path(__file__).resolve().with_name("h2_server.mjs")), str(root), str(key), str(cert)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        try:
            assert process.stdout is not None
            yield process.stdout.readline().strip()
        finally:
            process.terminate()
            process.wait()


def main() -> int:
    """Serve the folder given as the only argument; prints the base URL on one line."""
    server = _Server(("127.0.0.1", 0), partial(_Handler, directory=sys.argv[1]))
    print(f"http://127.0.0.1:{server.server_address[1]}/", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

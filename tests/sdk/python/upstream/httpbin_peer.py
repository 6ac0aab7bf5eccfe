"""The `httpbin` the SDK's signal-test workflows call: their HTTP tasks GET
`http://httpbin:8081/api/hello?name=test1` (tests/integration/resources/test_data/*.json).

run.sh maps the name `httpbin` to 127.0.0.1 inside the tests' network namespace (a bind-mounted
/etc/hosts), fermata_upstream.py runs this script on 127.0.0.1:8081 and starts fermata with
`--allow-http loopback`. GET /api/hello answers 200 with a JSON greeting; anything else 404.

    python httpbin_peer.py [HOST [PORT]]      (default 127.0.0.1 8081)
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlsplit(self.path)
        if url.path != "/api/hello":
            self._send(404, {"error": f"no route {url.path}"})
            return
        name = parse_qs(url.query).get("name", ["world"])[0]
        self._send(200, {"message": f"Hello, {name}!"})

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        sys.stderr.write("httpbin_peer: " + (fmt % args) + "\n")


def main():
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8081
    server = ThreadingHTTPServer((host, port), Handler)
    print(f"httpbin_peer listening on {host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

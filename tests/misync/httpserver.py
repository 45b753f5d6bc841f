"""A tiny real HTTP server on a free local port that serves canned responses (no mocking of requests).

    with CannedServer() as server:
        server.route("GET", "/api/v1/School/1/Students/", json={"Students": []})
        server.route("GET", "/slow", handler=lambda request: (200, {}, b"..."))
        url = server.url("/api/v1/School/1/Students/")

Every request is recorded in `server.requests` (method, path, query, headers, body) so a test
can check what the connector sent.
"""

import json as jsonlib
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes

    def json(self):
        return jsonlib.loads(self.body or b"null")


class CannedServer:
    def __init__(self, *, tls: bool = False):
        self.tls = tls
        self.routes = {}
        self.requests: list[Request] = []
        self.server = None
        self.thread = None

    def route(self, method, path, *, status=200, json=None, body=None, headers=None, handler=None):
        if handler is None:
            payload = jsonlib.dumps(json).encode() if json is not None else (body or b"")
            if isinstance(payload, str):
                payload = payload.encode()
            content_type = {"Content-Type": "application/json"} if json is not None else {}
            fixed = (status, {**content_type, **(headers or {})}, payload)
            handler = lambda request: fixed
        self.routes[(method, path)] = handler

    def url(self, path=""):
        _host, port = self.server.server_address[:2]
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{port}{path}"

    def start(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query={key: values[-1] for key, values in parse_qs(parts.query).items()},
                    headers=dict(self.headers),
                    body=self.rfile.read(length) if length else b"",
                )
                owner.requests.append(request)
                handler = owner.routes.get((self.command, parts.path))
                if handler is None:
                    status, headers, payload = 404, {"Content-Type": "text/plain"}, b"no such route"
                else:
                    status, headers, payload = handler(request)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        if self.tls:
            self.server.socket = _self_signed_context().wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that gave up (a timeout test) is expected; anything else is reported.
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _self_signed_context():
    """A TLS context with a fresh self-signed certificate for 127.0.0.1 (which no client trusts)."""
    import datetime
    import ipaddress
    import ssl
    import tempfile

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    with tempfile.TemporaryDirectory() as folder:
        cert_path, key_path = f"{folder}/cert.pem", f"{folder}/key.pem"
        with open(cert_path, "wb") as out:
            out.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(key_path, "wb") as out:
            out.write(
                key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
    return context

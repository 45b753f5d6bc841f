"""HTTP for the API connectors: one requests.Session, explicit timeouts, TLS verified, and
every failure turned into a SourceError of the documented kind (misync.connectors.base)."""

import json
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests

from misync.connectors.base import ConnectorConfig, SourceError

# Words in a middleware error body that mean the credentials, not the server, are the problem.
_AUTH_WORDS = ("auth", "token", "credential", "password", "denied", "relying", "forbidden", "not permitted", "login")

# A page or a downloaded file larger than this is not an MIS export we can trust to hold in memory.
MAX_BODY_BYTES = 100 * 1024 * 1024


def error_body_message(body) -> str | None:
    """The message of an Xporter-style error body {"Message", "ExceptionType", "ExceptionMessage"},
    or None when `body` is not one."""
    if not isinstance(body, dict) or not ({"ExceptionMessage", "ExceptionType"} & body.keys()):
        return None
    if any(key in body for key in ("Students", "Group", "Staff", "data", "token")):
        return None
    parts = [body.get(key) for key in ("Message", "ExceptionMessage", "ExceptionType")]
    return "; ".join(str(part) for part in parts if part) or "the MIS middleware reported an error"


def looks_like_auth(message: str) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in _AUTH_WORDS)


def merge_next_url(current_url: str, next_ref: str) -> str:
    """Resolve a relative "next page" reference against the current URL, keeping the current
    query parameters (e.g. `options=...`) that the reference does not override."""
    target = urljoin(current_url, next_ref)
    current, nxt = urlsplit(current_url), urlsplit(target)
    params = dict(parse_qsl(current.query, keep_blank_values=True))
    params.update(dict(parse_qsl(nxt.query, keep_blank_values=True)))
    return urlunsplit((nxt.scheme, nxt.netloc, nxt.path, urlencode(params, safe=","), ""))


def same_origin(url_a: str, url_b: str) -> bool:
    a, b = urlsplit(url_a), urlsplit(url_b)
    return (a.scheme, a.netloc.lower()) == (b.scheme, b.netloc.lower())


class HttpClient:
    """A thin wrapper over one requests.Session for one fetch."""

    def __init__(self, config: ConnectorConfig, *, headers: dict | None = None):
        self.config = config
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": "dbprimary-misync/1"})
        if headers:
            self.session.headers.update(headers)

    def close(self):
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        try:
            response = self.session.request(
                method,
                url,
                timeout=(self.config.connect_timeout, self.config.read_timeout),
                verify=self.config.verify_tls,
                allow_redirects=True,
                **kwargs,
            )
        except (
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
            requests.exceptions.InvalidURL,
        ) as exc:
            raise SourceError(
                f"The MIS address {url!r} is not a valid https:// address", kind="config", detail=str(exc), url=url
            ) from exc
        except requests.exceptions.SSLError as exc:
            raise SourceError(
                "The MIS server's security certificate could not be verified",
                kind="unreachable",
                detail=str(exc),
                url=url,
            ) from exc
        except requests.exceptions.Timeout as exc:
            raise SourceError(
                "The MIS server did not answer in time", kind="unreachable", detail=str(exc), url=url
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            raise SourceError(
                "The MIS server could not be reached", kind="unreachable", detail=str(exc), url=url
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise SourceError(
                "The request to the MIS server failed", kind="unreachable", detail=str(exc), url=url
            ) from exc
        self._raise_for_status(response, url)
        return response

    def json(self, method: str, url: str, **kwargs):
        response = self.request(method, url, **kwargs)
        if len(response.content) > MAX_BODY_BYTES:
            raise SourceError("The MIS server sent a response that is too large", kind="bad_format", url=url)
        try:
            body = response.json()
        except (ValueError, json.JSONDecodeError) as exc:
            raise SourceError(
                "The MIS server sent something that is not JSON",
                kind="bad_format",
                status=response.status_code,
                detail=response.text[:300],
                url=url,
            ) from exc
        message = error_body_message(body)
        if message is not None:
            # Middleware sometimes reports failures with a 200 and an error body.
            kind = "auth" if looks_like_auth(message) else "server_error"
            raise SourceError(
                f"The MIS middleware reported an error: {message}", kind=kind, status=response.status_code, url=url
            )
        return body

    def _raise_for_status(self, response: requests.Response, url: str) -> None:
        status = response.status_code
        if status < 400:
            return
        try:
            body = response.json()
            detail = error_body_message(body) or (str(body.get("Message") or "") if isinstance(body, dict) else "")
        except ValueError:
            detail = response.text[:300]
        if status in (401, 403):
            raise SourceError(
                "The MIS refused our credentials (they may have been changed or removed)",
                kind="auth",
                status=status,
                detail=detail,
                url=url,
            )
        if status in (404, 410):
            raise SourceError(
                "The MIS address was not found (the middleware may have moved or been uninstalled)",
                kind="not_found",
                status=status,
                detail=detail,
                url=url,
            )
        if status >= 500 or status in (408, 429):
            raise SourceError(
                f"The MIS server had a problem (HTTP {status})",
                kind="server_error",
                status=status,
                detail=detail,
                url=url,
            )
        raise SourceError(
            f"The MIS server rejected the request (HTTP {status})",
            kind="bad_format",
            status=status,
            detail=detail,
            url=url,
        )

    def download(self, url: str, *, limit: int = MAX_BODY_BYTES) -> bytes:
        """A whole file, refusing anything larger than `limit` bytes without reading it all."""
        response = self.request("GET", url, stream=True)
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise SourceError(
                        f"The file at {url} is larger than {limit // (1024 * 1024)} MB", kind="bad_format", url=url
                    )
                chunks.append(chunk)
        except requests.exceptions.RequestException as exc:
            raise SourceError(
                "The download from the MIS server was cut off", kind="unreachable", detail=str(exc), url=url
            ) from exc
        finally:
            response.close()
        return b"".join(chunks)

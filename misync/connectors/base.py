"""The connector contract: one documented method and one error type (healthchecks' transports).

A connector is built from plain configuration (never a model instance) and returns a
`Snapshot`. It does its network I/O in `fetch()`, which callers run outside any database
transaction. Every failure is a `SourceError` whose `kind` says what went wrong in terms the
sync-health screens can explain to a school office, and whose `permanent` flag tells the
task whether a retry could help.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

from misync.snapshot import Snapshot


class SourceError(Exception):
    """A failure to read the MIS export.

    kind:
      "unreachable"  connection refused, DNS failure, timeout, TLS failure   (transient)
      "auth"         401/403: credentials changed or removed                  (permanent)
      "not_found"    404 / endpoint missing: middleware uninstalled or moved  (permanent)
      "server_error" 5xx or an error body from the middleware                 (transient)
      "bad_format"   a response or file in an unexpected shape                (permanent)
      "config"       the school's settings are incomplete or invalid          (permanent)
    """

    TRANSIENT_KINDS = frozenset({"unreachable", "server_error"})

    def __init__(self, message: str, *, kind: str, status: int | None = None, detail: str = "", url: str = ""):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.status = status
        self.detail = detail
        self.url = url

    @property
    def permanent(self) -> bool:
        return self.kind not in self.TRANSIENT_KINDS

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ConnectorConfig:
    base_url: str = ""  # API root, or a file/folder path or URL for file-based sources
    school_ref: str = ""  # estab (Xporter), school id (Wonde), org sourcedId/identifier (OneRoster)
    credentials: dict = field(default_factory=dict)  # e.g. {"token": ...} or {"relying_party": ..., "password": ...}
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    verify_tls: bool = True


class Connector(ABC):
    name: ClassVar[str]

    def __init__(self, config: ConnectorConfig):
        self.config = config

    @abstractmethod
    def fetch(self) -> Snapshot:
        """Read the whole export and return it normalised. Raises SourceError on any failure."""


REGISTRY: dict[str, type[Connector]] = {}


def register(cls: type[Connector]) -> type[Connector]:
    REGISTRY[cls.name] = cls
    return cls


def get_connector(name: str, config: ConnectorConfig) -> Connector:
    # Importing the package registers every connector.
    import misync.connectors  # noqa: F401

    try:
        return REGISTRY[name](config)
    except KeyError:
        raise SourceError(f"Unknown MIS connector {name!r}", kind="config") from None

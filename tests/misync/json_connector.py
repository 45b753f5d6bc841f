"""A test connector registered as "jsonfile": reads a snapshot saved with misync.serialise.

Unlike the in-memory "static" connector it works across processes, so a real Celery worker
(started with `-A tests.misync.worker_app`) can read the export a test wrote to a file.
"""

import json

from misync.connectors.base import Connector, SourceError, register
from misync.serialise import snapshot_from_json


@register
class JsonFileConnector(Connector):
    name = "jsonfile"

    def fetch(self):
        try:
            with open(self.config.base_url, encoding="utf-8") as fh:
                return snapshot_from_json(json.load(fh))
        except OSError as exc:
            raise SourceError(f"Cannot read {self.config.base_url}: {exc}", kind="unreachable") from exc

"""Symmetric encryption for secrets the product must hold for a while (never plain text at rest).

One key per purpose, derived from SECRET_KEY, so a leaked credentials-sheet token can never
decrypt an MIS password and vice versa. Rotating SECRET_KEY makes everything held this way
unreadable: freshly generated passwords and pending imports expire anyway, and MIS credentials
must then be entered again.
"""

import base64
import hashlib

from cryptography.fernet import Fernet
from django.conf import settings


def fernet_for(purpose: str) -> Fernet:
    key = hashlib.sha256(f"{purpose}:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))

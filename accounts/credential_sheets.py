"""Freshly generated passwords: held encrypted in the cache for a short window, then gone.

Plain-text passwords exist only when they are generated (DESIGN §5). The admin who made them
can see and download them (a credentials spreadsheet and printable login cards) until
CREDENTIALS_TTL_SECONDS has passed; they are never written to the database or the logs.
The cache key includes the admin's id, so nobody else can fetch them even with the token.
"""

import io
import json
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from accounts.crypto import fernet_for
from accounts.exports import neutralise

FONT_DIR = Path(__file__).resolve().parent / "fonts"


@dataclass(frozen=True)
class Credential:
    name: str
    username: str
    password: str
    group: str = ""
    theme: str = "improver"


@dataclass(frozen=True)
class CredentialSheet:
    token: str
    title: str
    school_name: str
    created_at: str
    rows: list[Credential]


def _fernet() -> Fernet:
    return fernet_for("credentials-sheet")


def _cache_key(admin_id: int, token: str) -> str:
    return f"credentials:{admin_id}:{token}"


def credential_sheet_store(*, admin, title: str, rows: list[Credential]) -> str:
    """Encrypt and cache the rows for this admin only; returns the token for the download URLs."""
    token = secrets.token_urlsafe(18)
    payload = {
        "title": title,
        "school_name": admin.school.name if admin.school_id else "",
        "created_at": timezone.now().isoformat(),
        "rows": [asdict(r) for r in rows],
    }
    blob = _fernet().encrypt(json.dumps(payload).encode())
    cache.set(_cache_key(admin.pk, token), blob, timeout=settings.CREDENTIALS_TTL_SECONDS)
    return token


def credential_sheet_load(*, admin, token: str) -> CredentialSheet | None:
    blob = cache.get(_cache_key(admin.pk, token))
    if blob is None:
        return None
    try:
        payload = json.loads(_fernet().decrypt(blob))
    except InvalidToken:
        return None
    return CredentialSheet(
        token=token,
        title=payload["title"],
        school_name=payload["school_name"],
        created_at=payload["created_at"],
        rows=[Credential(**row) for row in payload["rows"]],
    )


def credential_sheet_xlsx(sheet: CredentialSheet) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Logins"
    ws.append(["Name", "Class", "Username", "Password"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in sheet.rows:
        ws.append([neutralise(row.name), neutralise(row.group), neutralise(row.username), neutralise(row.password)])
    for column, width in zip("ABCD", (32, 20, 22, 18)):
        ws.column_dimensions[column].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def login_cards_pdf(sheet: CredentialSheet) -> bytes:
    """A4 pages of login cards, 2 × 4 per page; Early Years cards use large friendly type."""
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title(sheet.title)
    cols, rows_per_page = 2, 4
    margin, gap = 12, 6
    card_w = (210 - 2 * margin - gap) / cols
    card_h = (297 - 2 * margin - (rows_per_page - 1) * gap) / rows_per_page
    for index, row in enumerate(sheet.rows):
        slot = index % (cols * rows_per_page)
        if slot == 0:
            pdf.add_page()
        x = margin + (slot % cols) * (card_w + gap)
        y = margin + (slot // cols) * (card_h + gap)
        pdf.set_draw_color(90, 90, 90)
        pdf.set_line_width(0.4)
        pdf.rect(x, y, card_w, card_h, style="D", round_corners=True, corner_radius=4)
        big = row.theme == "early_years"
        pdf.set_xy(x + 5, y + 5)
        pdf.set_font("DejaVu", "", 9)
        pdf.cell(card_w - 10, 5, sheet.school_name[:60])
        pdf.set_xy(x + 5, y + 12)
        pdf.set_font("DejaVu", "B", 20 if big else 15)
        pdf.cell(card_w - 10, 10, row.name[:40])
        if row.group:
            pdf.set_xy(x + 5, y + 22)
            pdf.set_font("DejaVu", "", 10)
            pdf.cell(card_w - 10, 6, row.group[:40])
        label_size, value_size = (12, 24) if big else (10, 17)
        for offset, (label, value) in enumerate((("Username", row.username), ("Password", row.password))):
            top = y + 32 + offset * (16 if big else 13)
            pdf.set_xy(x + 5, top)
            pdf.set_font("DejaVu", "", label_size)
            pdf.cell(26 if big else 22, 10, label)
            pdf.set_font("DejaVu", "B", value_size)
            pdf.cell(card_w - 35, 10, value)
    if not sheet.rows:
        pdf.add_page()
    return bytes(pdf.output())

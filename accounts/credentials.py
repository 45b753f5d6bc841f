"""Usernames and passwords: generated the same way by the import, the toolbox and the MIS sync.

Generated usernames follow the school's scheme (default forename + surname initial,
lower-case ASCII, "Zoë O'Brien" → ``zoeo``), with a number added on clashes, at most 20
characters. Generated passwords follow the school's password style and never contain the
characters people confuse when copying from a card (0/O, 1/l/I).
"""

import re
import secrets
import unicodedata
from collections import Counter
from collections.abc import Iterable

from django.db.models import CharField, Func, Value
from django.db.models.functions import Lower

from accounts.models import School, User

USERNAME_MAX = 20
_DIGITS = "0123456789"
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,29}$", re.IGNORECASE)
USERNAME_RULE = "2 to 30 letters, digits, dots, dashes or underscores, starting with a letter or digit"

# Letters that do not decompose to ASCII under NFKD.
_TRANSLIT = str.maketrans(
    {
        "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D",
        "þ": "th", "Þ": "Th", "ß": "ss", "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "ı": "i",
    }
)


def ascii_fold(text: str) -> str:
    """'Zoë' → 'Zoe', 'Łukasz' → 'Lukasz', 'Nguyễn' → 'Nguyen'."""
    text = (text or "").translate(_TRANSLIT)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).encode("ascii", "ignore").decode()


def _letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", ascii_fold(text).lower())


def username_base(*, forename: str, surname: str, scheme: str = School.UsernameScheme.FORENAME_INITIAL) -> str:
    """The username before any clash number is added."""
    first = _letters(forename.split()[0] if forename.split() else "")
    last = _letters(surname)
    if scheme == School.UsernameScheme.INITIAL_SURNAME:
        base = f"{first[:1]}{last}"
    elif scheme == School.UsernameScheme.FORENAME_SURNAME:
        base = f"{first}.{last}" if first and last else first or last
    else:
        base = f"{first}{last[:1]}"
    base = base.strip(".") or "user"
    if len(base) < 2:
        base = f"{base}x"
    # Leave room for a clash number of up to four digits.
    return base[: USERNAME_MAX - 4].rstrip(".")


def taken_usernames(bases: Iterable[str]) -> set[str]:
    """Existing usernames (lower-case, across the whole platform) that could clash with these bases.

    That is every username that is a base followed by digits. The database compares each
    username with its trailing digits trimmed against the bases (trimmed the same way, so a base
    that ends in a digit is still found) — one cheap pass instead of a many-way regular expression
    per username, which made a trust's first MIS sync quadratic in its number of schools
    (bench/sync_bench.py) — and the exact rule is applied here.
    """
    bases = sorted(set(bases))
    if not bases:
        return set()
    exact = re.compile("^(" + "|".join(re.escape(b) for b in bases) + ")[0-9]*$")
    stems = sorted({b.rstrip(_DIGITS) for b in bases})
    trimmed = Func(Lower("username"), Value(_DIGITS), function="RTRIM", output_field=CharField())
    taken: set[str] = set()
    for start in range(0, len(stems), 1000):
        taken.update(
            name
            for name in User.objects.annotate(stem=trimmed)
            .filter(stem__in=stems[start : start + 1000])
            .annotate(lname=Lower("username"))
            .values_list("lname", flat=True)
            if exact.match(name)
        )
    return taken


# Up to this many distinct bases (a night's starters, one new account) the exact candidates
# base, base2, base3… are looked up on the unique lower(username) index; more (a first sync, an
# import) read every numbered username of the bases in one pass (`taken_usernames`).
EXACT_LOOKUP_MAX_BASES = 100


def _numbered(base: str, number: int) -> str:
    return base if number == 1 else f"{base}{number}"


def _existing_usernames(candidates: list[str]) -> set[str]:
    """Which of these lower-case usernames exist, by equality on the unique lower(username) index."""
    found: set[str] = set()
    for start in range(0, len(candidates), 1000):
        found.update(
            User.objects.annotate(lname=Lower("username"))
            .filter(lname__in=candidates[start : start + 1000])
            .values_list("lname", flat=True)
        )
    return found


def _taken_by_windows(bases: list[str], taken: set[str]) -> dict[str, int]:
    """Add to `taken` the existing usernames among each base's first numbers, widening the window until
    each base has a free number for everyone who needs it; returns how far each base was checked."""
    need = Counter(bases)
    checked = dict.fromkeys(need, 0)
    window = {base: count + 4 for base, count in need.items()}
    while window:
        taken |= _existing_usernames(
            [_numbered(b, n) for b, size in window.items() for n in range(checked[b] + 1, checked[b] + size + 1)]
        )
        for base, size in list(window.items()):
            checked[base] += size
            free = sum(1 for n in range(1, checked[base] + 1) if _numbered(base, n) not in taken)
            if free >= need[base]:
                del window[base]
            else:
                window[base] = size * 2
    return checked


def usernames_generate(
    *, school: School, people: list[tuple[str, str]], reserved: Iterable[str] = ()
) -> list[str]:
    """One new username per (forename, surname), unique against the platform, `reserved` and each other.

    `reserved` holds usernames already claimed in the same batch (e.g. typed into other rows of
    an import), compared case-insensitively.
    """
    bases = [username_base(forename=f, surname=s, scheme=school.username_scheme) for f, s in people]
    taken = {r.lower() for r in reserved}
    if len(set(bases)) <= EXACT_LOOKUP_MAX_BASES:
        checked = _taken_by_windows(bases, taken)
    else:
        taken |= taken_usernames(bases)
        checked = None  # every numbered username of every base is known
    result = []
    # Every number below a base's last pick is taken or given already: start from there, so a
    # base held by hundreds of accounts across a trust is not counted up from 1 for each person.
    start_at: dict[str, int] = {}
    for base in bases:
        number = start_at.get(base, 1)
        candidate = _numbered(base, number)
        # Past its window a number is looked up on its own (only when another base's names, e.g.
        # "abc" + 12 against "abc1" + 2, used up the window's free numbers).
        while candidate in taken or (
            checked is not None and number > checked[base] and _existing_usernames([candidate])
        ):
            number += 1
            candidate = f"{base}{number}"
        start_at[base] = number + 1
        taken.add(candidate)
        result.append(candidate)
    return result


# A curated list of short, friendly, child-safe words without the letter l (confusable with 1
# and I on a printed card). Digits are drawn from 2–9 so 0/O and 1/l never meet.
WORDS = """
ant ape bat bear bee bird boat bus cake cat cow crab deer dog duck emu fig fish fox frog
gem goat grape hat hen horse jam kite kiwi lamb moon moth mouse nut owl panda pear pig
pony puma rain robin rose seed ship star sun swan tiger toad tree vase wave whale wren yak
zebra acorn apple bean berry bread brook candy cedar cherry cocoa comet coral daisy dove
dragon drum feather forest frost garden ginger harp hazel honey iris ivy jet koi mango maple
meadow melon mint nest ocean otter paper peach pepper pine pizza poppy quartz rabbit river
rocket ruby sand shark snow spark spring storm sugar summer sunny tea teddy thunder toast
tulip turtle unicorn water winter yoyo zip button carrot marble muffin orange parrot penguin
pirate puppy raven shrimp spider sprout squash tomato trumpet tuba viper waffle walrus
""".split()
WORDS = sorted({w for w in WORDS if "l" not in w and 4 <= len(w) <= 7})
SAFE_DIGITS = "23456789"
SAFE_CHARS = "abcdefghjkmnpqrstuvwxyz23456789"


def password_generate(*, style: str) -> str:
    if style == School.PasswordStyle.TWO_WORDS:
        return secrets.choice(WORDS) + secrets.choice(WORDS) + secrets.choice(SAFE_DIGITS)
    if style == School.PasswordStyle.RANDOM:
        return "".join(secrets.choice(SAFE_CHARS) for _ in range(10))
    return secrets.choice(WORDS) + secrets.choice(SAFE_DIGITS) + secrets.choice(SAFE_DIGITS)


def password_policy_errors(*, school: School, password: str) -> list[str]:
    """Why a password an admin typed is not acceptable for this school, as sentences (empty if fine)."""
    errors = []
    minimum = 8 if school.password_style == School.PasswordStyle.RANDOM else 6
    if len(password) < minimum:
        errors.append(f"Password must be at least {minimum} characters")
    if len(password) > 128:
        errors.append("Password must be 128 characters or fewer")
    if password != password.strip():
        errors.append("Password must not start or end with a space")
    return errors

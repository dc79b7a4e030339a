"""Class codes a student can type and the presenter's secret.

A code is 8 symbols of Crockford's base 32 (no I, L, O, U: nothing to confuse with 1 or 0),
40 bits: with `classes.FAILED_JOINS_PER_MINUTE` wrong tries allowed a minute across the
whole server, finding one of a hundred open classes by trying takes thousands of years
on average. The presenter's secret has 256 bits and only its SHA-256 is stored.

>>> normalize(" abcd-efgh ") == normalize("ABCDEFGH")
True
>>> normalize("0O1IL") == "00111"     # what a person may type for what the code shows
True
>>> is_wellformed(new_code()) and not is_wellformed("ABC")
True
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"   # Crockford base 32
LENGTH = 8
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(typed: str) -> str:
    """The code as stored, from what a person typed (case, spaces, dashes, O for 0)."""
    kept = "".join(ch for ch in str(typed)[:4 * LENGTH].upper() if ch.isalnum())
    return kept.translate(_READ_AS)


def is_wellformed(code: str) -> bool:
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)


def shown(code: str) -> str:
    """The code as the presenter's screen prints it: two groups of four."""
    return f"{code[:4]}-{code[4:]}"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(str(secret).encode()).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)


def new_student() -> str:
    """An anonymous id for one browser: random, nothing personal."""
    return secrets.token_urlsafe(12)

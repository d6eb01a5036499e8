"""Coded values: languages (ISO 639-1), currencies (ISO 4217), web addresses, identifiers.

The lists come from ``pycountry`` (pinned in requirements.txt) so that the
admin offers them as choices, the API refuses anything else with 400 and the
schema lists them. Upgrading pycountry may add codes; ``makemigrations``
then records the new choices.
"""

from __future__ import annotations

import pycountry
from django.core.validators import MaxLengthValidator, RegexValidator, URLValidator

#: ISO 639-1 two-letter language codes, by English name.
LANGUAGE_CHOICES: list[tuple[str, str]] = sorted(
    (
        (language.alpha_2, f"{language.name} ({language.alpha_2})")
        for language in pycountry.languages
        if hasattr(language, "alpha_2")
    ),
    key=lambda choice: choice[1],
)

#: ISO 4217 currency codes, by code (how sources and analysts write them).
CURRENCY_CHOICES: list[tuple[str, str]] = sorted(
    (currency.alpha_3, f"{currency.alpha_3} ({currency.name})") for currency in pycountry.currencies
)

#: Sources are read on the web: http and https only (not ftp, mailto, javascript).
WEB_URL = URLValidator(schemes=["http", "https"], message="Enter a web address (http or https).")

#: A public identifier: lowercase letters and digits in words joined by single hyphens.
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z"
SLUG = RegexValidator(
    SLUG_PATTERN,
    "Use lowercase letters, digits and single hyphens between words, e.g. “tsentr-2019”.",
    code="invalid_slug",
)


def whole_number(text: str, low: int, high: int) -> int | None:
    """``text`` as a whole number from ``low`` to ``high``, or ``None`` if it is not one.

    ASCII digits only: ``str.isdigit`` also accepts characters such as "²",
    which ``int`` refuses, and very long digit strings are refused before
    they are converted.
    """
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(high)):
        return None
    number = int(text)
    return number if low <= number <= high else None


#: Joins several values in one cell of a CSV main file; no value it joins may contain it.
DELIMITER = "|"

#: The longest text a record's free-text field holds (summaries, quotes, notes).
#: Stated in the schema; every exported cell then stays far below what CSV
#: readers accept by default.
LONG_TEXT = 20_000
LONG_TEXT_VALIDATOR = MaxLengthValidator(LONG_TEXT)
#: Characters an actor's other names may hold together. Each record's indexed
#: columns go into one tsvector on PostgreSQL (``tracker.substrings``), whose
#: lexemes may take at most 1 MB; PostgreSQL does not check that when it builds
#: one from an array, and past it the index would answer wrongly
#: (``tests/test_substrings.py`` checks every record type's bound).
ALIASES_LENGTH = 5_000

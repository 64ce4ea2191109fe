"""Counts in Spanish: «1 libro sin cliente», «0 libros», «3 borradores»."""

from __future__ import annotations


def count(n: int, singular: str, plural: str | None = None) -> str:
    """``n`` and its noun, singular only for one (Spanish says «0 libros»). ``plural`` defaults
    to the singular plus «s»; give it for any other form («borradores», «libros sin cliente»)."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"

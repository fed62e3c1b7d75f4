"""Argument checks shared by the helpers; each raises a ValueError naming the bad value."""

from __future__ import annotations

from numbers import Integral, Real

__all__: list[str] = []


def check_positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    return int(value)


def check_rate(name: str, value: object) -> float:
    """A probability-like rate in [0, 1): 1 would drop (or flip) everything."""
    if isinstance(value, bool) or not isinstance(value, Real) or not 0.0 <= float(value) < 1.0:
        raise ValueError(
            f"`{name}` must be a number in [0, 1) (a rate of 1 would drop every unit). "
            f"Received: {name}={value!r}"
        )
    return float(value)


def check_non_negative(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not float(value) >= 0.0:
        raise ValueError(f"`{name}` must be a number >= 0. Received: {name}={value!r}")
    return float(value)


def check_fraction(name: str, value: object) -> float:
    """A fraction in [0, 1], such as a measured accuracy."""
    if isinstance(value, bool) or not isinstance(value, Real) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"`{name}` must be a number in [0, 1], such as 0.93. Received: {name}={value!r}")
    return float(value)

"""Helpers for the lessons on normalization (work in progress)."""

from __future__ import annotations

__all__: list[str] = []

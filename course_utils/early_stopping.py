"""Helpers for the lessons on early stopping (work in progress)."""

from __future__ import annotations

__all__: list[str] = []

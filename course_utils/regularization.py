"""Helpers for the lessons on regularization (work in progress)."""

from __future__ import annotations

__all__: list[str] = []

"""Figures for the lessons on optimizers (work in progress)."""

from __future__ import annotations

__all__: list[str] = []

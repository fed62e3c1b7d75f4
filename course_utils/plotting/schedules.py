"""Figures for the lessons on schedules (work in progress)."""

from __future__ import annotations

__all__: list[str] = []

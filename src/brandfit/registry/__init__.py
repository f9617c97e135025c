"""Versioned, verified models on disk: publish, resolve (``production``, ``topic@3``, ``latest``), promote,
roll back, compare, verify, export and import. See ``docs/registry.md``.
"""

from __future__ import annotations

from brandfit.registry._names import parse_ref, validate_name
from brandfit.registry._registry import ModelRegistry, ModelVersion

__all__ = ["ModelRegistry", "ModelVersion", "parse_ref", "validate_name"]

"""The registry bundled inside the package: the production model, so an installed wheel predicts out of the box.

``src/brandfit/bundled/registry`` is a read-only registry holding one version and the ``production`` alias.
After promoting a new production model in ``models/``, refresh it (and commit it) with
``brandfit models bundle``; a test fails while the two disagree.

>>> from brandfit.registry.bundle import bundled_production   # doctest: +SKIP
"""

from __future__ import annotations

import shutil
from pathlib import Path

from brandfit._atomic import atomic_write_json
from brandfit.registry._registry import ModelRegistry, ModelVersion
from brandfit.settings import DEFAULT_MODEL_REF, bundled_registry

__all__ = ["refresh_bundle"]


def refresh_bundle(source: str | Path, dest: str | Path | None = None, *, alias: str = DEFAULT_MODEL_REF) -> ModelVersion:
    """Copy the version ``alias`` points to in the registry ``source`` (verified first) into the bundled registry
    ``dest`` (default: the package's own), replacing whatever was there. Returns the version copied."""
    reg = ModelRegistry(source)
    mv, _ = reg.read_verified(alias)
    dest = Path(dest) if dest is not None else bundled_registry()
    staging = dest.with_name(dest.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "_aliases").mkdir(parents=True)
    shutil.copytree(mv.path, staging / mv.name / str(mv.version))
    atomic_write_json(staging / "_aliases" / f"{alias}.json",
                      {"format_version": 1, "history": [], "name": mv.name, "version": mv.version,
                       "updated_at": reg.show(alias).get("published_at") or ""})
    ModelRegistry(staging).verify(alias)
    old = dest.with_name(dest.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        dest.rename(old)
    staging.rename(dest)
    shutil.rmtree(old, ignore_errors=True)
    return ModelVersion(mv.name, mv.version, dest / mv.name / str(mv.version))

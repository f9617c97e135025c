"""Heavy imports that need care: spaCy without torch (and without its command line).

spaCy's machine-learning layer (thinc) imports torch whenever torch is installed: about 1.7 s and 300 MB,
although brandfit uses only spaCy's tokenizer and matchers. With the onnx backend nothing else needs torch, so
:func:`import_spacy` hides torch for the duration of spaCy's first import (thinc then records "no torch", which
only turns off thinc's own torch layers). Code that imports torch does it inside :func:`torch_import`, which
shares the lock, so a thread importing torch never sees it hidden.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from types import ModuleType
from typing import Iterator

__all__ = ["import_spacy", "torch_import"]

_lock = threading.RLock()


def import_spacy() -> ModuleType:
    """``import spacy``, without pulling torch in unless torch is already loaded."""
    if "spacy" in sys.modules:
        import spacy

        return spacy
    with _lock:
        hide = "torch" not in sys.modules
        if hide:
            sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` now raises ImportError
        stubs = _stub_spacy_cli()
        try:
            try:
                import spacy
            except ImportError:
                if not stubs:
                    raise
                _drop(stubs)  # this spaCy needs its CLI at import time after all: import it the ordinary way
                stubs = {}
                for name in [m for m in sys.modules if m == "spacy" or m.startswith("spacy.")]:
                    del sys.modules[name]
                import spacy
        finally:
            _drop(stubs)
            if hide and sys.modules.get("torch", 0) is None:
                del sys.modules["torch"]
    return spacy


def _stub_spacy_cli() -> dict[str, ModuleType]:
    """Stand-ins for ``spacy.cli`` and ``spacy.cli.info`` while ``spacy`` is first imported.

    ``spacy/__init__`` imports its command line (``from .cli.info import info``), which pulls in typer, weasel,
    requests and httpx: ~0.3 s of a ~1 s import that brandfit never uses (it only tokenizes and matches). The
    stand-ins are removed right after, so ``import spacy.cli`` later loads the real one; ``spacy.info`` calls it.
    """
    if "spacy.cli" in sys.modules or "spacy.cli.info" in sys.modules:
        return {}
    cli = ModuleType("spacy.cli")
    cli.__path__ = []  # a package with no submodules: anything else under spacy.cli fails to import (see above)
    info = ModuleType("spacy.cli.info")

    def _info(*args, **kwargs):  # noqa: ANN002, ANN003
        from spacy.cli.info import info as real

        return real(*args, **kwargs)

    info.info = _info  # type: ignore[attr-defined]
    stubs = {"spacy.cli": cli, "spacy.cli.info": info}
    sys.modules.update(stubs)
    return stubs


def _drop(stubs: dict[str, ModuleType]) -> None:
    for name, module in stubs.items():
        if sys.modules.get(name) is module:
            del sys.modules[name]


@contextlib.contextmanager
def torch_import() -> Iterator[None]:
    """Hold this around code whose imports load torch (sentence-transformers, transformers)."""
    with _lock:
        yield

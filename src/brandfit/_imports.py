"""Heavy imports that need care: spaCy without torch.

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
        try:
            import spacy
        finally:
            if hide and sys.modules.get("torch", 0) is None:
                del sys.modules["torch"]
    return spacy


@contextlib.contextmanager
def torch_import() -> Iterator[None]:
    """Hold this around code whose imports load torch (sentence-transformers, transformers)."""
    with _lock:
        yield

"""brandfit: which influencers really fit a brand's core topic.

>>> import brandfit
>>> brandfit.TOPICS
('sports_outdoor', 'fashion', 'fitness', 'beauty', 'electronics', 'other')
>>> model = brandfit.load_model()          # the registry's production version, verified
>>> model.topic_proba(["leg day then a protein shake"]).idxmax(axis=1).tolist()
['fitness']
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

from brandfit.topics import TOPICS

if TYPE_CHECKING:
    from brandfit.account import Account, BrandTopic
    from brandfit.api import predict_relevance, predict_relevance_batch, rank_accounts
    from brandfit.errors import IntegrityError
    from brandfit.model import RelevanceModel, load_model
    from brandfit.scoring import Relevance

__all__ = [
    "__version__",
    "TOPICS",
    "Account",
    "BrandTopic",
    "IntegrityError",
    "Relevance",
    "RelevanceModel",
    "load_model",
    "predict_relevance",
    "predict_relevance_batch",
    "rank_accounts",
]

# The public names load on first use (PEP 562), so that ``import brandfit.embedding`` or ``brandfit --help``
# does not pay for pandas and scikit-learn.
_LAZY = {
    "Account": "brandfit.account",
    "BrandTopic": "brandfit.account",
    "IntegrityError": "brandfit.errors",
    "Relevance": "brandfit.scoring",
    "RelevanceModel": "brandfit.model",
    "load_model": "brandfit.model",
    "predict_relevance": "brandfit.api",
    "predict_relevance_batch": "brandfit.api",
    "rank_accounts": "brandfit.api",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'brandfit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

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

from brandfit.account import Account, BrandTopic
from brandfit.api import predict_relevance, predict_relevance_batch, rank_accounts
from brandfit.errors import IntegrityError
from brandfit.model import RelevanceModel, load_model
from brandfit.scoring import Relevance
from brandfit.topics import TOPICS

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

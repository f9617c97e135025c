"""brandfit: which influencers really fit a brand's core topic.

>>> import brandfit
>>> brandfit.TOPICS
('sports_outdoor', 'fashion', 'fitness', 'beauty', 'electronics', 'other')
"""

from __future__ import annotations

__version__ = "0.1.0"

from brandfit.errors import IntegrityError
from brandfit.topics import TOPICS

__all__ = ["__version__", "TOPICS", "IntegrityError"]

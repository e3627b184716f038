"""Content quality: what a request asks for, checked against what a model wrote.

Small models write schema-valid plans that still miss what the user asked. This package holds the
middle layer's answer, shared by every app and template:

- ``checks``: the ``Check`` record (``{name, ok, detail}``) every result reports, and generic
  checkers (counts, language purity, distinct variants);
- ``claims``: absolute and comparative claims (广告法 words such as 最/第一/国家级/保证; "best",
  "guaranteed") found and removed unless the user's own facts state them;
- ``text``: similarity of texts (character n-grams, language-independent) and boundary-safe trimming.

Apps parse constraints first, build the skeleton in code, let the model fill it, then run these
checks, repair what fails within a bounded number of attempts, and report the rest.
"""

from .checks import Check, CheckList, check_count, check_distinct, check_language
from .claims import Claim, find_claims, scrub_claims
from .text import similarity, trim_to_boundary

__all__ = [
    "Check",
    "CheckList",
    "check_count",
    "check_distinct",
    "check_language",
    "Claim",
    "find_claims",
    "scrub_claims",
    "similarity",
    "trim_to_boundary",
]

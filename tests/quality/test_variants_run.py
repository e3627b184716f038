"""Template lists with the real small model: the count honoured and no near-duplicates shipped (bench metric)."""

from __future__ import annotations

import pytest

from zaowu.studio.quality.checks import similar_pairs
from zaowu.studio.templates import run_template

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("template_id", "variables", "path", "field"),
    [
        (
            "promo-sms",
            {
                "brand": "Hearth & Wick",
                "offer": "25% off all candles this weekend",
                "deadline": "Sunday midnight",
                "link": "hw.shop/warm",
                "count": 3,
            },
            "messages",
            "text",
        ),
        (
            "product-title",
            {
                "product": "Bamboo cutting board set",
                "platform": "amazon",
                "count": 3,
                "attributes": "Brand GreenLeaf; set of 3 sizes; organic bamboo; juice groove; hand wash",
            },
            "titles",
            "title",
        ),
    ],
)
def test_list_items_come_back_distinct_or_the_failure_is_reported(studio, template_id, variables, path, field):
    result = run_template(studio, template_id, variables, language="en", seed=11)
    items = result.output[path]
    assert len(items) == 3
    texts = [item[field] for item in items]
    checks = {c.name: c for c in result.checks}
    distinct = checks[f"distinct.{path}"]
    # the check reports exactly what the bench measures, and the repair leaves no near-duplicate behind
    assert distinct.ok == (similar_pairs(texts) == [])
    assert distinct.ok, (texts, [c for c in result.checks if not c.ok])
    if f"repair.{path}" in checks:  # items were composed from the input's facts: said so, and it worked
        assert checks[f"repair.{path}"].ok

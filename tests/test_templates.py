"""The template library: every shipped template is valid, renders in both languages and
decodes under its schema with a real model; user templates; malformed files reported."""

from __future__ import annotations

import json

import jsonschema
import pytest

from zaowu.errors import InvalidRequest, NotFound
from zaowu.studio.templates import CATEGORIES, TemplateLibrary, check_bounded_schema, detect_language, run_template

SHIPPED = TemplateLibrary.for_data_dir("/nonexistent").list()


def test_library_is_large_and_clean():
    lib = TemplateLibrary.for_data_dir("/nonexistent")
    assert lib.list() and not lib.problems, lib.problems
    assert len(lib.list()) >= 30
    assert {t.category for t in lib.list()} >= {"marketing", "social", "business", "office", "education", "service"}
    assert sum(1 for t in lib.list() if t.output_schema) >= 10
    assert {
        "business-plan",
        "swot",
        "competitor-analysis",
        "meeting-minutes",
        "weekly-report",
        "study-plan",
        "xiaohongshu-note",
        "douyin-script",
        "product-title",
        "customer-service-reply",
    } <= {t.id for t in lib.list()}


@pytest.mark.parametrize("template", SHIPPED, ids=[t.id for t in SHIPPED])
def test_every_template_renders_both_languages(template):
    for example in template.examples:
        for lang in ("zh", "en"):
            rendered = template.render(example, lang)
            system, user = rendered.messages[0]["content"], rendered.messages[1]["content"]
            assert system.startswith("# 角色" if lang == "zh" else "# Role")
            assert "1. " in system and user.strip()
            assert "{{" not in user and "{%" not in user
            request = rendered.request()
            if template.output_schema:
                jsonschema.Draft202012Validator.check_schema(template.output_schema)
                sent = request.response_format.json_schema.schema_  # narrowed by the template's checks
                assert sent == template.request_schema(rendered.variables, lang)
                assert sent == template.output_schema or template.checks.structural
                check_bounded_schema(sent, "schema")
        assert template.render(example).language in ("zh", "en")  # detected


def test_variables_are_typed_and_errors_name_the_field():
    lib = TemplateLibrary.for_data_dir("/nonexistent")
    t = lib.get("slogans")
    with pytest.raises(InvalidRequest) as e:
        t.render({"selling_points": "x"})
    assert e.value.param == "variables.brand" and "required" in e.value.message
    with pytest.raises(InvalidRequest) as e:
        t.render({"brand": "b", "selling_points": "x", "count": "five"})
    assert e.value.param == "variables.count"
    with pytest.raises(InvalidRequest) as e:
        t.render({"brand": "b", "selling_points": "x", "count": 99})
    assert e.value.param == "variables.count"
    with pytest.raises(InvalidRequest) as e:
        t.render({"brand": "b", "selling_points": "x", "tone": "grumpy"})
    assert e.value.param == "variables.tone"
    with pytest.raises(InvalidRequest) as e:
        t.render({"brand": "b", "selling_points": "x", "colour": "red"})
    assert e.value.param == "variables.colour"
    with pytest.raises(NotFound):
        lib.get("no-such-template")
    rendered = t.render({"brand": "山野", "selling_points": "好喝"})
    assert rendered.variables["count"] == 5 and rendered.language == "zh"
    assert "温暖" in rendered.messages[1]["content"]  # enum shown by its label in the prompt's language
    schema = t.input_schema()
    assert schema["properties"]["tone"]["enum"] == ["playful", "premium", "warm", "bold"]
    assert schema["properties"]["count"]["maximum"] == 8 and "brand" in schema["required"]


def test_user_templates_override_and_malformed_ones_are_reported(tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    shipped = TemplateLibrary.for_data_dir("/x").get("weekly-report").source
    text = (
        open(shipped, encoding="utf-8")
        .read()
        .replace("title: {zh: 周报, en: Weekly report}", "title: {zh: 我的周报, en: My weekly report}")
    )
    (folder / "weekly-report.yaml").write_text(text, encoding="utf-8")
    (folder / "broken.yaml").write_text("id: broken\ncategory: nonsense\n", encoding="utf-8")
    (folder / "bad-schema.yaml").write_text(
        text.replace("id: weekly-report", "id: bad-schema")
        + "output_schema: {type: object, properties: {a: {type: string}}}\n",
        encoding="utf-8",
    )
    lib = TemplateLibrary.for_data_dir(tmp_path)
    assert lib.get("weekly-report").title.en == "My weekly report"
    problems = {p.file.rsplit("/", 1)[-1]: p for p in lib.problems}
    assert problems["broken.yaml"].field == "category"
    assert "maxLength" in problems["bad-schema.yaml"].message
    assert "output_schema.properties.a" in problems["bad-schema.yaml"].message
    with pytest.raises(InvalidRequest) as e:
        lib.get("broken")
    assert "broken.yaml" in e.value.message and "category" in e.value.message


def test_categories_are_known():
    assert all(t.category in CATEGORIES for t in SHIPPED)


@pytest.mark.slow
def test_every_schema_template_decodes_valid_json_with_a_real_model(studio):
    """Constrained decoding: each schema-bearing template's English example, run once with
    SmolLM2-135M (an English model), parses and validates (bench/templates.py runs 50 per template)."""
    failures = []
    for t in (t for t in SHIPPED if t.output_schema):
        example = next(e for e in t.examples if detect_language(e) == "en")
        try:
            result = run_template(studio, t.id, example, seed=11)
        except Exception as exc:  # noqa: BLE001 - collect every failing template
            failures.append(f"{t.id}: {exc}")
            continue
        jsonschema.validate(result.output, t.output_schema)
        assert json.loads(result.text) == result.output
    assert not failures, failures

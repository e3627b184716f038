"""One source of today: a pinned date, else the ``today`` setting, else the system date, for every app."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from zaowu.apps.base import app_workflow, get_app, run_app, validate_input
from zaowu.settings import Settings
from zaowu.studio.quality import dates
from zaowu.studio.quality.today import pinned_today, settings_today, studio_today, today

SETTING = dt.date(2027, 2, 10)  # a Wednesday in Q1 2027, far from the system date
PINNED = dt.date(2026, 8, 3)


class _Fake:
    def __init__(self, day):
        self.settings = type("S", (), {"today": day})()


def test_pinned_beats_the_setting_which_beats_the_system_date():
    assert today() == dt.date.today() and today(SETTING) == SETTING
    assert settings_today(_Fake(SETTING)) == SETTING and settings_today(_Fake(None)) == dt.date.today()
    with pinned_today(PINNED):
        assert today(SETTING) == PINNED and settings_today(_Fake(SETTING)) == PINNED
    with studio_today(_Fake(SETTING)):
        assert today() == SETTING
    assert dates.today is today  # the copy side's helper is the same function
    assert dates.date_line("en", SETTING) == "Today is Wednesday, 10 February 2027."


@pytest.fixture
def dated_studio(tmp_path, models_dir):
    from tests.conftest import TEST_MODEL, TEST_THREADS
    from zaowu.studio.engine import Studio

    settings = Settings(
        data_dir=tmp_path / "data",
        models_dir=models_dir,
        default_chat_model=TEST_MODEL,
        n_ctx=2048,
        n_threads=TEST_THREADS,
        today=SETTING,
    )
    with Studio(settings) as studio:
        yield studio


def _workflow(studio, app_id, data):
    app = get_app(studio, app_id)
    return app_workflow(studio, app, validate_input(app, data)).model_dump(by_alias=True)


def test_office_docs_and_business_plan_read_the_today_setting(dated_studio):
    office = _workflow(dated_studio, "office-docs", {"instruction": "Weekly sales this quarter", "format": "xlsx"})
    assert office["nodes"]["compose"]["with"]["today"] == SETTING.isoformat()
    plan = _workflow(dated_studio, "business-plan", {"idea": "A bike-repair van", "budget": "$20,000"})
    assert plan["nodes"]["plan"]["with"]["variables"]["today"] == SETTING.isoformat()
    assert plan["nodes"]["review"]["with"]["today"] == SETTING.isoformat()
    with pinned_today(PINNED):  # a pinned day (tests, the bench) still wins
        assert (
            _workflow(dated_studio, "office-docs", {"instruction": "x sales", "format": "xlsx"})["nodes"]["compose"][
                "with"
            ]["today"]
            == PINNED.isoformat()
        )
    assert today() == dt.date.today()  # nothing stays pinned after the app's workflow is built


@pytest.mark.slow
def test_office_docs_run_resolves_this_quarter_against_the_setting(dated_studio):
    run = run_app(
        dated_studio,
        "office-docs",
        {"instruction": "A weekly sales table for this quarter for the East and West regions", "format": "xlsx"},
        seed=3,
    )
    ws = openpyxl.load_workbook(io.BytesIO(dated_studio.artifacts.read(run.result["file"]["id"]))).worksheets[0]
    weeks = [row for row in ws.iter_rows(min_row=2, values_only=True) if str(row[0]).startswith("Week")]
    assert len(weeks) in (13, 14)
    assert all(dt.date(2027, 1, 1) <= row[1].date() <= row[2].date() <= dt.date(2027, 3, 31) for row in weeks)

"""Computing with the form (``?computeWithForm=true``): defaults, computed items and checks."""
from __future__ import annotations

import pytest

from tests.conftest import DOCS

WITH_FORM = f"{DOCS}?computeWithForm=true"
APPEALS = "/api/databases/appeals/documents?computeWithForm=true"


def test_without_the_flag_documents_stay_schemaless(api):
    api.post_json(DOCS, {"Form": "Incoming", "Pages": "много"}, status=201)


def test_required_items_type_and_validation_are_reported_per_item(api):
    answer = api.post_json(WITH_FORM, {"Form": "Incoming", "Pages": -1, "RegDate": "вчера"},
                           status=422).json
    problems = {p["item"]: p["message"] for p in answer["errors"]}
    assert "required" in problems["Subject"]
    assert problems["Pages"].endswith("not valid")
    assert "date" in problems["RegDate"]


def test_defaults_and_computed_items_are_filled_in(api):
    made = api.post_json(APPEALS, {"Form": "Appeal", "RegNumber": "Ж-1/2026", "RegDate": "2026-11-02",
                                   "Applicant": "Гарипов Р. Р.", "Text": "Просим убрать двор",
                                   "Topic": "благоустройство", "Channel": "портал",
                                   "Status": "зарегистрировано"}).json
    appeal = api.get(f"/api/databases/appeals/documents/{made['@unid']}").json
    assert appeal["Deadline"] == "2026-12-02"  # 30 days, computed by the form


@pytest.mark.parametrize("value", ["срочно", ["портал", "факс"]])
def test_keywords_must_be_among_the_choices(api, value):
    answer = api.post_json(APPEALS, {"Form": "Appeal", "Channel": value}, status=422).json
    assert any(p["item"] == "Channel" for p in answer["errors"])


def test_an_update_with_the_form_is_checked_too(api):
    memo = api.post_json(DOCS, {"Form": "Memo", "Subject": "Без подразделения"}).json
    api.put_json(f"{DOCS}/{memo['@unid']}?computeWithForm=true", {"Form": "Memo", "Pages": "x"},
                 headers={"If-Match": memo["@rev"]}, status=422)
    assert api.get(f"{DOCS}/{memo['@unid']}").json["Subject"] == "Без подразделения"

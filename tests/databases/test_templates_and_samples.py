"""The shipped templates are well-formed data; the samples fit them."""
from __future__ import annotations

import json
import tomllib

import pytest

from databases import TEMPLATE_DIR
from databases.samples import sample_documents

LEVELS = {"noaccess", "depositor", "reader", "author", "editor", "designer", "manager"}
ENTRY_TYPES = {"person", "group", "server", "unspecified"}
ITEM_TYPES = {"text", "richtext", "number", "date", "datetime", "names", "readers", "authors",
              "keywords", "attachments"}
TEMPLATES = {path.stem: tomllib.loads(path.read_text("utf-8")) for path in TEMPLATE_DIR.glob("*.toml")}


def test_the_four_databases_have_templates():
    assert set(TEMPLATES) == {"documents", "appeals", "orders", "directory"}


@pytest.mark.parametrize("stem", sorted(TEMPLATES))
def test_template_is_well_formed(stem):
    template = TEMPLATES[stem]
    assert template["name"] == stem
    assert template["title"]["ru"] and template["title"]["en"]
    assert template["purge_interval_days"] > 0
    for entry in template["acl"]:
        assert entry["level"] in LEVELS and entry["type"] in ENTRY_TYPES
        assert set(entry["roles"]) <= set(template["roles"])
    assert {"-Default-", "Anonymous"} <= {entry["name"] for entry in template["acl"]}
    for form_name, form in template["forms"].items():
        names = [item["name"] for item in form["items"]]
        assert len(names) == len(set(names)), form_name
        assert not any(name.startswith(("@", "_", "$")) for name in names)
        assert all(item["type"] in ITEM_TYPES for item in form["items"]), form_name
        assert all(item["label"]["ru"] and item["label"]["en"] for item in form["items"])
        types = {item["name"]: item["type"] for item in form["items"]}
        assert types.get("Readers") == "readers" and types.get("Authors") == "authors", form_name
    for view_name, view in template["views"].items():
        assert view["selection"], view_name
        assert view["columns"] and all(column["name"] for column in view["columns"]), view_name


SAMPLES = list(sample_documents())


def test_samples_are_a_few_hundred_in_every_database():
    assert 300 <= len(SAMPLES) <= 600
    assert {sample.database for sample in SAMPLES} == set(TEMPLATES)


def test_samples_are_deterministic_for_a_seed():
    assert list(sample_documents()) == SAMPLES
    assert list(sample_documents(seed=7)) != SAMPLES


def test_sample_keys_are_unique_and_parents_come_first():
    seen: dict[str, str] = {}
    for sample in SAMPLES:
        assert sample.key not in seen
        if sample.parent_key:
            assert seen[sample.parent_key] == sample.database
        seen[sample.key] = sample.database


def test_every_sample_item_is_declared_by_its_form():
    for sample in SAMPLES:
        form = TEMPLATES[sample.database]["forms"][sample.items["Form"]]
        declared = {item["name"] for item in form["items"]}
        assert set(sample.items) <= declared, (sample.key, set(sample.items) - declared)
        json.dumps(sample.items)


def test_required_items_are_present():
    for sample in SAMPLES:
        form = TEMPLATES[sample.database]["forms"][sample.items["Form"]]
        required = {item["name"] for item in form["items"] if item.get("required")} - {"Password"}
        assert required <= set(sample.items), (sample.key, required - set(sample.items))


def test_responses_use_response_forms():
    for sample in SAMPLES:
        form = TEMPLATES[sample.database]["forms"][sample.items["Form"]]
        assert bool(sample.parent_key) == form["responses"], sample.key


def test_attachments_have_plain_names_and_bytes():
    attachments = [a for sample in SAMPLES for a in sample.attachments]
    assert attachments
    for attachment in attachments:
        assert attachment.name and "/" not in attachment.name and "\\" not in attachment.name
        assert isinstance(attachment.data, bytes) and attachment.data


def test_scale_multiplies_the_counts():
    assert len(list(sample_documents(scale=3))) > 2.5 * len(SAMPLES)
    user_names = [s.items["UserName"] for s in sample_documents(scale=3) if s.items["Form"] == "Person"]
    assert len(user_names) == len(set(user_names))


@pytest.mark.parametrize("stem", ["documents", "appeals", "orders", "directory"])
def test_every_view_of_every_template_is_valid(stem):
    from views.definition import parse_view

    template = tomllib.loads((TEMPLATE_DIR / f"{stem}.toml").read_text("utf-8"))
    for name, view in template["views"].items():
        parse_view(name, view, template)  # raises with the reasons otherwise

"""Settings are parsed and checked at start-up, with a message naming the setting."""
from __future__ import annotations

import pytest

from core import make_app
from core.exceptions import ConfigurationError
from core.settings import SETTINGS, parse_settings


def test_defaults_fill_every_setting():
    settings = parse_settings({})
    for setting in SETTINGS:
        assert setting.name in settings
    assert settings["domus.page_size"] == 100
    assert settings["domus.worker"] is False


def test_empty_storage_uri_means_filestorage_in_the_data_folder(tmp_path):
    settings = parse_settings({"domus.var_dir": str(tmp_path)})
    assert settings["zodbconn.uri"].startswith(f"file://{tmp_path}/Data.fs?blobstorage_dir={tmp_path}/blobs")


@pytest.mark.parametrize(
    ("name", "value"),
    [("domus.page_size", "-3"), ("domus.worker", "maybe"), ("domus.max_json_bytes", "lots"),
     ("domus.longpoll_max_seconds", "0")],
)
def test_bad_values_stop_start_up_naming_the_setting(name, value):
    with pytest.raises(ConfigurationError, match=name):
        parse_settings({name: value})


def test_bad_setting_stops_the_app(zodb):
    with pytest.raises(ConfigurationError, match="domus.max_page_size"):
        make_app({"domus.max_page_size": "zero"}, zodb=zodb, load_entry_points=False)


def test_every_setting_has_help():
    assert all(setting.help.strip() for setting in SETTINGS)
    assert len({setting.name for setting in SETTINGS}) == len(SETTINGS)

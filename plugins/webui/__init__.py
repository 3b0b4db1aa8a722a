"""The web UI under ``/``: databases, views, documents and their forms, in Russian and English.

Pages are rendered on the server (Jinja2 through pyramid_jinja2) so that
reading works without JavaScript and a phone downloads little; a small
script of our own only makes expanding categories and the outline menu
quicker.  Every page reads through the same gate as the JSON API
(``core.access``) and writes through the same ``Writer`` with the forms'
rules on, so the UI can neither see nor do more than the API.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pyramid.static import QueryStringConstantCacheBuster

from core.exceptions import ConfigurationError
from plugins.webui.i18n import LANGUAGES, negotiate_locale

STATIC = Path(__file__).resolve().parent / "static"
#: Jinja2 options of the UI's renderer; an operator's own ``jinja2.*`` settings win.
_JINJA2_DEFAULTS = {
    "jinja2.i18n.domain": "domus",
    "jinja2.newstyle": "true",
    "jinja2.undefined": "strict",
    "jinja2.trim_blocks": "true",
    "jinja2.lstrip_blocks": "true",
    "jinja2.finalize": "plugins.webui.i18n.translated",
}


def _static_digest() -> str:
    """Changes whenever the stylesheet or script does, so browsers fetch the new one at once."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.iterdir()):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def includeme(config) -> None:
    settings = config.get_settings()
    language = str(settings.get("domus.default_language", "ru")).strip().lower()
    if language not in LANGUAGES:
        raise ConfigurationError(
            f"setting domus.default_language = {language!r}: expected one of {', '.join(LANGUAGES)}")
    zone = str(settings.get("domus.time_zone", "UTC")).strip()
    try:
        ZoneInfo(zone)
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigurationError(f"setting domus.time_zone = {zone!r}: not a time zone name such as "
                                 "Europe/Moscow or UTC") from None
    config.add_settings({"domus.default_language": language, "domus.time_zone": zone,
                         **{k: v for k, v in _JINJA2_DEFAULTS.items() if k not in settings}})
    config.include("pyramid_jinja2")
    config.add_translation_dirs("plugins.webui:locale")
    config.set_locale_negotiator(negotiate_locale)
    config.add_static_view("ui-static", "plugins.webui:static", cache_max_age=86400)
    config.add_cache_buster("plugins.webui:static/", QueryStringConstantCacheBuster(_static_digest()))
    config.include("plugins.webui.errors")
    config.include("plugins.webui.login")
    config.include("plugins.webui.browse")
    config.include("plugins.webui.document")
    config.include("plugins.webui.editing")
    config.include("plugins.webui.search")

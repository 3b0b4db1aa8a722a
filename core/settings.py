"""The one table of Domus settings: name, default, parser, help.

Settings come from the ini file's ``[app:main]`` (``domus.*`` and
``zodbconn.uri``) or from the CLI's ``--var``.  ``parse_settings`` validates
them all at start-up, so a bad value stops the server with a message that
names the setting, instead of failing on some later request.
docs/operations.md lists them; a test checks that it lists every one.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from core.exceptions import ConfigurationError


def _bool(value: str) -> bool:
    lowered = str(value).strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _positive_int(value: str) -> int:
    number = int(str(value).replace("_", ""))
    if number <= 0:
        raise ValueError(f"expected a positive whole number, got {value!r}")
    return number


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        number = int(str(value).strip())
        if not low <= number <= high:
            raise ValueError(f"expected a whole number from {low} to {high}, got {value!r}")
        return number

    return parse


def _positive_float(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError(f"expected a positive number, got {value!r}")
    return number


def _text(value: str) -> str:
    return str(value).strip()


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        lowered = str(value).strip().lower()
        if lowered not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}, got {value!r}")
        return lowered

    return parse


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    parse: Callable[[str], object]
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("domus.var_dir", "var", _text,
            "Data folder: FileStorage, blobs, full-text indexes. Relative to the working directory."),
    Setting("zodbconn.uri", "", _text,
            "Storage URI: file://PATH?blobstorage_dir=DIR, memory://, zeo://HOST:PORT?blob_dir=DIR. "
            "Empty means a FileStorage in the data folder."),
    Setting("domus.max_json_bytes", "16777216", _positive_int,
            "Largest JSON request body accepted (bytes); larger gets 413."),
    Setting("domus.max_attachment_bytes", "268435456", _positive_int,
            "Largest attachment accepted (bytes); larger gets 413."),
    Setting("domus.max_bulk_documents", "10000", _positive_int,
            "Most documents one bulk POST may carry (the API's and replication's _bulk_docs); "
            "more gets 413."),
    Setting("domus.max_bulk_get_entries", "10000", _positive_int,
            "Most entries one replication _bulk_get may ask for; more gets 413."),
    Setting("domus.max_revs_diff_revisions", "100000", _positive_int,
            "Most document ids and revisions, counted together, one replication _revs_diff may "
            "name; more gets 413."),
    Setting("domus.max_all_docs_keys", "10000", _positive_int,
            "Most keys one replication _all_docs may name (GET keys= or POST keys); more gets 413."),
    Setting("domus.max_answer_bytes", "67108864", _positive_int,
            "Most bytes one replication answer may hold (_bulk_get, _all_docs with include_docs; "
            "files inline in base64 count), weighed before it is built; more gets 413, and a "
            "replicator asks in smaller batches."),
    Setting("domus.max_local_bytes", "65536", _positive_int,
            "Largest _local replication checkpoint (bytes of JSON); larger gets 413."),
    Setting("domus.max_local_documents", "1000", _positive_int,
            "Most _local replication checkpoints one identity keeps in one database; more get 413."),
    Setting("domus.page_size", "100", _positive_int,
            "Rows per page when a listing does not say how many."),
    Setting("domus.max_page_size", "1000", _positive_int,
            "Most rows one listing request may ask for."),
    Setting("domus.longpoll_max_seconds", "60", _positive_float,
            "Longest wait of a feed=longpoll changes request."),
    Setting("domus.max_waiting_requests", "8", _positive_int,
            "Most requests that wait at once (feed=longpoll changes); domus serve adds this many "
            "threads to --threads, so waiting never takes an ordinary request's thread. More get "
            "429 too_many_waiting with Retry-After. See docs/security.md."),
    Setting("domus.max_waiting_per_user", "2", _positive_int,
            "Most waiting requests (feed=longpoll changes) of one user at once; more get 429."),
    Setting("domus.search_max_patterns", "8", _positive_int,
            "Most wildcard, prefix, fuzzy and range terms in one full-text query; more get 400."),
    Setting("domus.search_max_expansion", "2000", _positive_int,
            "Most index words all the patterns of one full-text query may stand for together "
            "(each one at most 1000); more get 400."),
    Setting("domus.search_max_seconds", "2.0", _positive_float,
            "Longest time one full-text query may take to find its hits; longer gets 400."),
    Setting("domus.worker", "false", _bool,
            "Run the background worker (changes consumers, scheduled tasks) in this process."),
    Setting("domus.worker_poll_seconds", "1.0", _positive_float,
            "How often the worker looks for changes made by other servers (ZEO)."),
    Setting("domus.fulltext_process", "true", _bool,
            "Apply full-text indexing (attachment text, word analysis, index writing) in a helper "
            "process at lower priority, so that it does not slow down requests; false keeps it "
            "in the worker's thread. See docs/search.md."),
    Setting("domus.fulltext_nice", "10", _int_between(0, 19),
            "How much lower the full-text helper process's CPU priority is (added to its nice "
            "value, 0-19): on a busy machine requests go first and the index catches up when "
            "a core is idle."),
    Setting("domus.auth_cache_seconds", "300", _positive_float,
            "How long a verified password is remembered, so that Basic auth does not "
            "re-run the slow password hash on every request."),
    Setting("domus.session_hours", "12", _positive_float,
            "How long a web login lasts, in hours."),
    Setting("domus.secure_cookies", "auto", _choice("auto", "true", "false"),
            "Mark the session cookie Secure: auto does so when the request came over HTTPS."),
    Setting("domus.audit_log", "", _text,
            "File of the audit log (JSON lines). Empty means audit.log in the data folder."),
    Setting("domus.login_free_failures", "3", _positive_int,
            "Failed logins of one name from one client address before each new attempt of that "
            "pair must wait (1 s, then 2, 4, … up to a minute); an address over all names gets "
            "ten times as many."),
    Setting("domus.lockout_failures", "10", _positive_int,
            "Failed logins of one name from one client address that lock that pair (not the "
            "account: other addresses still log in) out for domus.lockout_minutes."),
    Setting("domus.account_slowdown_failures", "20", _positive_int,
            "Failed logins of one name from all addresses after which every check of that name "
            "is delayed (1 s, 2, 4, … up to domus.account_max_delay_seconds), never refused."),
    Setting("domus.account_max_delay_seconds", "4", _positive_float,
            "Longest delay of a login check for a name that fails from many addresses."),
    Setting("domus.address_lockout_failures", "100", _positive_int,
            "Failed logins from one client address that lock the address out; higher than "
            "the account's because a whole office may share one address."),
    Setting("domus.lockout_minutes", "15", _positive_float,
            "How long a locked name+address pair or address is refused, and how long a quiet "
            "name, pair or address keeps its count of failures."),
    Setting("domus.retry_attempts", "20", _positive_int,
            "How many times a request that met a ZODB write conflict is run again."),
    Setting("domus.group_commit_max", "64", _positive_int,
            "Most writing requests that share one commit (and one disk flush) when they "
            "arrive together; see docs/model.md."),
)

BY_NAME = {setting.name: setting for setting in SETTINGS}


def parse_settings(raw: Mapping[str, object]) -> dict[str, object]:
    """Return ``raw`` with every known setting parsed and defaults filled in."""
    settings = dict(raw)
    for setting in SETTINGS:
        value = raw.get(setting.name, setting.default)
        try:
            settings[setting.name] = setting.parse(value) if isinstance(value, str) else value
        except (TypeError, ValueError) as error:
            raise ConfigurationError(f"setting {setting.name} = {value!r}: {error}") from None
    if not settings["zodbconn.uri"]:
        var = Path(settings["domus.var_dir"]).resolve()
        settings["zodbconn.uri"] = (
            f"file://{var}/Data.fs?blobstorage_dir={var}/blobs&connection_cache_size=20000"
        )
    if not settings["domus.audit_log"]:
        settings["domus.audit_log"] = str(Path(settings["domus.var_dir"]).resolve() / "audit.log")
    settings["retry.attempts"] = settings["domus.retry_attempts"]
    return settings

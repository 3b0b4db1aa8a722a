"""Domus's kernel: documents, databases, security, storage, the changes feed, hooks.

``main`` only assembles: it parses the settings, builds the plugin manager and
the Configurator, includes the kernel and lets plugins add their routes.
"""
from __future__ import annotations

import atexit

import pyramid_tm
from pyramid.config import Configurator
from pyramid.events import NewResponse
from pyramid.renderers import JSON
from pyramid.tweens import INGRESS
from pyramid_retry import IBeforeRetry

from core.audit import AuditLog
from core.changes import ChangeNotifier
from core.groupcommit import (
    GroupCommitter,
    RequestTraffic,
    add_reading_post,
    back_off_before_retry,
    is_reading,
    reads_never_commit,
)
from core.headers import add_security_headers
from core.plugins import hookimpl, make_plugin_manager
from core.security import DomusSecurityPolicy, VerifiedPasswords, refuse_failed_credentials
from core.sessions import SessionCSRFPolicy, cookie_authenticated, session_csrf_token
from core.settings import parse_settings
from core.storage import open_db, request_connection, request_root
from core.templates import load_templates
from core.throttle import Limits, LoginThrottle
from core.waiting import waiting_slots
from core.wire import text_safe_response
from core.writes import Writer

__version__ = "0.1.0"
__all__ = ["hookimpl", "main", "make_app"]


def _request_writer(request) -> Writer:
    principal = request.identity
    return Writer(
        request.registry.pm,
        principal.name if principal else "anonymous",
        request.tm,
        request.registry.settings["domus.max_attachment_bytes"],
        with_form=request.params.get("computeWithForm") in {"true", "1"},
    )


def _transaction_manager(request):
    """Reading requests get their own manager; writing ones share the group's."""
    if is_reading(request):
        return pyramid_tm.explicit_manager(request)
    return request.registry.committer.tm


def login_throttle(settings) -> LoginThrottle:
    """The lock-out rules from the settings: a name+address pair strict, an address lenient,
    a name over all addresses only slowed (see ``core.throttle``)."""
    free, seconds = settings["domus.login_free_failures"], settings["domus.lockout_minutes"] * 60
    return LoginThrottle(
        Limits(free, settings["domus.lockout_failures"], seconds),
        Limits(free * 10, settings["domus.address_lockout_failures"], seconds),
        Limits(settings["domus.account_slowdown_failures"], None, seconds,
               settings["domus.account_max_delay_seconds"]),
    )


def includeme(config) -> None:
    """Wire the kernel into a Configurator whose registry already has ``pm``."""
    settings = config.registry.settings
    registry = config.registry
    # tm.annotate_user off: pyramid_tm would authenticate outside the exception views, so a
    # refused login (429) would escape as a traceback; writes record their principal anyway.
    config.add_settings({"tm.manager_hook": _transaction_manager, "tm.activate_hook": is_reading,
                         "tm.commit_veto": reads_never_commit, "tm.annotate_user": False})
    config.add_directive("add_reading_post", add_reading_post)
    config.include("pyramid_tm")
    config.include("pyramid_retry")
    config.add_renderer("json", JSON(ensure_ascii=False))
    if getattr(registry, "zodb", None) is None:
        registry.zodb = open_db(settings["zodbconn.uri"])
    registry.committer = GroupCommitter(registry.zodb, settings["domus.group_commit_max"])
    registry.templates = load_templates(registry.pm)
    registry.notifier = ChangeNotifier()
    registry.pm.register(registry.notifier, name="core.changes.notifier")
    registry.waiting = waiting_slots(settings)
    registry.traffic = RequestTraffic(registry.waiting)
    registry.audit = AuditLog(settings["domus.audit_log"])
    config.set_security_policy(DomusSecurityPolicy(
        VerifiedPasswords(settings["domus.auth_cache_seconds"]),
        login_throttle(settings),
        registry.audit,
        settings,
    ))
    config.add_view_deriver(refuse_failed_credentials, under="INGRESS", over="secured_view")
    config.set_csrf_storage_policy(SessionCSRFPolicy())
    config.set_default_csrf_options(require_csrf=True, callback=cookie_authenticated)
    config.add_subscriber(add_security_headers, NewResponse)
    config.add_request_method(request_connection, "zodb_connection", reify=True)
    config.add_request_method(request_root, "root_object", reify=True)
    config.add_request_method(_request_writer, "writer", reify=True)
    config.add_request_method(session_csrf_token, "session_csrf_token")
    config.add_tween("core.groupcommit.group_commit_tween_factory", over="pyramid_tm.tm_tween_factory")
    config.add_tween("core.wire.valid_text_tween_factory", under=INGRESS)
    config.set_response_factory(text_safe_response)
    config.add_subscriber(back_off_before_retry, IBeforeRetry)
    config.include("core.api")


def make_app(settings: dict, extra_plugins: tuple = (), zodb=None, load_entry_points=True):
    """The WSGI application; tests pass ``extra_plugins`` and an open ``zodb``."""
    settings = parse_settings(settings)
    pm = make_plugin_manager(extra_plugins, load_entry_points=load_entry_points)
    config = Configurator(settings=settings)
    config.registry.pm = pm
    config.registry.zodb = zodb
    config.include(includeme)
    pm.hook.register_routes(config=config)
    app = config.make_wsgi_app()
    if settings["domus.worker"]:
        start_worker(config.registry)
    return app


def start_worker(registry):
    """Start the background worker and stop it cleanly at exit."""
    from core.worker import Worker

    worker = Worker(registry.zodb, registry.pm, registry.settings, registry.traffic.quiet_for)
    registry.pm.register(worker, name="core.worker")
    registry.worker = worker
    worker.start()
    atexit.register(worker.stop)
    return worker


def shutdown(registry) -> None:
    """Stop the worker and close the writing connection, before the storage closes."""
    worker = getattr(registry, "worker", None)
    if worker is not None:
        worker.stop()
    registry.committer.close()


def main(global_config=None, **settings):
    """The paste entry point: ``pserve development.ini``."""
    return make_app(settings)

"""Whose sessions and tokens a request is about, and ending sessions: ``/api/sessions``.

A person lists and ends their own web sessions (a phone left logged in); the
Managers of the Directory — the server's administrators, who also read the
audit log — list and end anyone's, named with ``?user=``, and revoke anyone's
API token (``core.api.server``).  Only ids, times, addresses and labels are
ever shown, never a secret.  Every revocation is audited with who did it.
Credentials are managed with a password or a web session, never with an API
token: a token that leaked must not be able to lock its owner out.
"""
from __future__ import annotations

from core import access, sessions
from core.acl import fold
from core.api.contexts import ServerContext
from core.exceptions import AccessDenied, NotFound
from core.security import now_utc


def in_person(request) -> str:
    """The caller's name, if they came with a password or a session (else 403)."""
    principal = request.identity
    if principal.via == "token":
        raise AccessDenied("sessions and tokens are managed with your password or a web session")
    return principal.name


def is_own(request, user: str) -> bool:
    return fold(user) == fold(request.identity.name)


def whose(request) -> str:
    """The user named by ``?user=`` (an administrator's question), else the caller."""
    user = request.params.get("user") or request.identity.name
    if not is_own(request, user) and not access.may_administer(request.identity, request.root_object):
        raise AccessDenied("only administrators (Managers of the Directory) see and end "
                           "other people's sessions and tokens")
    return user


def _audit_ended(request, user: str, ended: list[str]) -> None:
    request.writer.touched = True
    request.registry.audit.record_when_committed(
        request.tm.get(), "session.revoked", user, request.client_addr,
        by=request.identity.name, sessions=ended,
    )


def list_sessions(context, request):
    """``{"sessions": [{"id", "user", "created", "expires", "address", "current"}, …]}``."""
    current = request.identity.session_id
    return {"sessions": [
        {**sessions.describe(session_id, session), "current": session_id == current}
        for session_id, session in sessions.sessions_of_user(context.root, whose(request), now_utc())
    ]}


def end_sessions(context, request):
    """End every session of ``?user=`` (or the caller's other sessions): ``{"ended": N}``."""
    in_person(request)
    user = whose(request)
    keep = request.identity.session_id if is_own(request, user) else None
    ended = sessions.end_sessions(context.root, user, keep=keep)
    _audit_ended(request, user, ended)
    return {"ended": len(ended)}


def end_session(context, request):
    in_person(request)
    session_id = request.matchdict["session_id"]
    session = sessions.sessions_of(context.root).get(session_id)
    if session is None or not (
        is_own(request, session.user)
        or access.may_administer(request.identity, context.root)
    ):
        raise NotFound(f"you have no session {session_id!r}")
    sessions.end_session(context.root, session_id)
    _audit_ended(request, session.user, [session_id])
    return {"ok": True}


def includeme(config) -> None:
    config.add_route("sessions", "/api/sessions", factory=ServerContext)
    config.add_route("session_by_id", "/api/sessions/{session_id}", factory=ServerContext)
    config.add_view(list_sessions, route_name="sessions", request_method="GET", renderer="json",
                    permission=access.AUTHENTICATED)
    config.add_view(end_sessions, route_name="sessions", request_method="DELETE",
                    renderer="json", permission=access.AUTHENTICATED)
    config.add_view(end_session, route_name="session_by_id", request_method="DELETE",
                    renderer="json", permission=access.AUTHENTICATED)

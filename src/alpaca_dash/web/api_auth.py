"""Who is asking an ``/api/`` route: a script with a personal token, or a browser with a session.

Both end in the same account check as the pages (``require_user``): the user read fresh from the database, refused
when it is gone or disabled. For a session that read is the login middleware's (``LoginRequired`` leaves the account
in ``request.state.user``), so the route does not ask the database a second time. A request with a Bearer header is
judged by its token alone, never by a session that happens to come with it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from alpaca_dash.queries import tokens as token_queries
from alpaca_dash.queries import users as user_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import User
from alpaca_dash.web.auth import session_user_id
from alpaca_dash.web.bearer import bearer_token
from alpaca_dash.web.threads import in_thread


async def api_user(access: DataAccess, request: Request) -> User | None:
    """The enabled user behind the request's Bearer token, or else its session; None if neither is valid."""
    token = bearer_token(request)
    if token is not None:
        return await in_thread(token_queries.authenticate_token, access, token)
    user = getattr(request.state, "user", None)  # read by the login middleware for this very request
    if not isinstance(user, User):  # an app without the middleware (it is always there in ours)
        user_id = session_user_id()
        user = None if user_id is None else await in_thread(user_queries.get_user, access, user_id)
    return None if user is None or user.disabled else user


def unauthorized(request: Request) -> Response:
    """401, saying whether the token or the missing session was the problem."""
    if bearer_token(request) is not None:
        return Response(
            "invalid, revoked or expired token, or a disabled account",
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return Response("not signed in", status_code=401, headers={"WWW-Authenticate": "Bearer"})

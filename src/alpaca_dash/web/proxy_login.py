"""Single sign-on behind a trusted proxy (CERN SSO through oauth2-proxy): the user comes from a request header,
but only when the request's TCP peer (never a forwarded address) is one of the trusted proxies; from anyone else the
header is ignored. An SSO name equal to a local account's signs into it only when ``sso_local_accounts`` says
``link``; by default it is refused."""

from __future__ import annotations

import ipaddress
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from fastapi import Request
from nicegui import app, run
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response
from starlette.types import ASGIApp

from alpaca_dash.queries import users as user_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import NAME_PATTERN, Role, User, UserError
from alpaca_dash.web.auth import is_public, session_user_id, sign_in, sign_out
from alpaca_dash.web.forwarded import tcp_peer

log = logging.getLogger(__name__)
SSO_NAME = "sso_name"
REFUSED = "this account may not use the dashboard"
LOCAL_TAKEN = "a local account has this name; single sign-on does not sign into local accounts (ask an admin)"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class ProxyLoginConfig:
    """Header names, trusted proxy networks and the group-to-role mapping (from the settings)."""

    user_header: str
    groups_header: str = ""
    trusted: tuple[Network, ...] = ()
    group_roles: Mapping[str, str] = field(default_factory=dict)
    default_role: Role = Role.VIEWER
    link_local: bool = False

    @classmethod
    def parse(
        cls,
        user_header: str,
        groups_header: str,
        trusted: Iterable[str],
        group_roles: Mapping[str, str],
        default_role: Role | str = Role.VIEWER,
        local_accounts: str = "refuse",
    ) -> ProxyLoginConfig:
        """:raises ValueError: for a malformed network, an unknown role or local-accounts policy."""
        networks = tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in trusted)
        roles = {group: Role(role).value for group, role in group_roles.items()}
        if local_accounts not in ("refuse", "link"):
            raise ValueError(f"unknown SSO local-accounts policy {local_accounts!r}: use refuse or link")
        link = local_accounts == "link"
        return cls(user_header, groups_header, networks, roles, Role(default_role), link)

    def is_trusted(self, peer: str | None) -> bool:
        if peer is None:
            return False
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    def role_for(self, groups_value: str) -> Role:
        """The highest role any of the comma- or space-separated groups maps to, else the default role."""
        groups = {g.strip() for g in groups_value.replace(",", " ").split() if g.strip()}
        mapped = [Role(self.group_roles[g]) for g in groups if g in self.group_roles]
        return max(mapped, key=lambda role: role.rank) if mapped else self.default_role


def find_or_create(access: DataAccess, name: str, role: Role, *, link_local: bool = False) -> User | str:
    """The SSO account called ``name``, created with ``role`` and an unusable random password on first sight.

    :returns: the account, or why there is none: a malformed name, or a local account of that name (unless
        ``link_local``).
    """
    if not NAME_PATTERN.fullmatch(name):
        return REFUSED
    found = user_queries.find_user(access, name)
    if found is None:
        try:
            found = user_queries.create_user(access, name, secrets.token_urlsafe(32), role, sso=True)
        except UserError:  # created by a concurrent request in the meantime
            found = user_queries.find_user(access, name)
    if found is None or found.disabled:
        return REFUSED
    if not found.sso and not link_local:
        return LOCAL_TAKEN
    return found


class ProxyLogin(BaseHTTPMiddleware):
    """Signs the request's session in as the header's user when the peer is a trusted proxy."""

    def __init__(self, app_: ASGIApp, access: DataAccess, config: ProxyLoginConfig) -> None:
        super().__init__(app_)
        self.access = access
        self.config = config

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        name = request.headers.get(self.config.user_header, "").strip() if self.config.user_header else ""
        peer = tcp_peer(request)
        # public paths (health check, static files) never sign anyone in: nothing there needs a user
        if name and not is_public(request.url.path) and self.config.is_trusted(peer) and not self._already(name):
            role = self.config.role_for(request.headers.get(self.config.groups_header, ""))
            found = await run.io_bound(find_or_create, self.access, name, role, link_local=self.config.link_local)
            if not isinstance(found, User):
                sign_out()
                log.warning("SSO sign-in of %r through %s refused: %s", name[:64], peer, found)
                return Response(found or REFUSED, status_code=403)
            await sign_in(request, found, **{SSO_NAME: name})
            log.info("SSO sign-in: %s through %s", name, peer)
        return await call_next(request)

    @staticmethod
    def _already(name: str) -> bool:
        return session_user_id() is not None and app.storage.user.get(SSO_NAME) == name


def add_proxy_login(access: DataAccess) -> None:
    """Install the header login when ``sso_user_header`` is set (outside the login redirect, so it runs first).

    :raises ValueError: for a malformed trusted network or an unknown role in the mapping.
    """
    settings = access.settings
    if not settings.sso_user_header:
        return
    config = ProxyLoginConfig.parse(
        settings.sso_user_header,
        settings.sso_groups_header,
        settings.trusted_proxies,
        settings.sso_group_roles,
        settings.sso_default_role,
        settings.sso_local_accounts,
    )
    app.add_middleware(ProxyLogin, access=access, config=config)

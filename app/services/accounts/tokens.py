"""Token issuance: password, client-credentials and refresh grants, and token verification."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.core import lookups
from app.core.config import Settings
from app.core.errors import BadRequest, TooManyRequests, Unauthorized
from app.core.security import (
    Passwords,
    PublicKey,
    TokenError,
    decode_jwt,
    encode_jwt,
    new_opaque_token,
    sha256_hex,
    unverified_kid,
)
from app.models import ExchangeClient, LoginFailure, RefreshToken, User, UserRole
from app.models.base import utcnow
from app.schemas.auth import TokenResponse
from app.services.accounts.keys import KeyRing
from app.vocabularies import role_scopes

USER_BASE_SCOPES = ("profile",)


class InvalidGrant(BadRequest):
    slug, title = "invalid-grant", "Invalid grant"
    commit = True  # failed logins and revoked families must persist

    def __init__(self, detail: str) -> None:
        super().__init__(detail, extra={"error": "invalid_grant"})


class InvalidClient(Unauthorized):
    slug, title = "invalid-client", "Invalid client"
    commit = True  # failed secrets must persist, like failed logins

    def __init__(self, detail: str) -> None:
        super().__init__(
            detail,
            extra={"error": "invalid_client"},
            headers={"WWW-Authenticate": 'Basic realm="techx"'},
        )


class InvalidScope(BadRequest):
    slug, title = "invalid-scope", "Invalid scope"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, extra={"error": "invalid_scope"})


@dataclass(frozen=True)
class Account:
    """A person's account as read with their token: its columns and its roles (sorted)."""

    values: Mapping[str, Any]
    roles: tuple[str, ...]

    @property
    def is_active(self) -> bool:
        return bool(self.values["is_active"])

    def to_user(self) -> User:
        """The account as a detached ``User``, roles loaded."""
        user = lookups.detached_from(User, self.values)
        role_rows = [
            lookups.detached_from(UserRole, {"user_id": user.id, "role": r}) for r in self.roles
        ]
        set_committed_value(user, "role_rows", role_rows)
        return user


class Principal:
    """Who is calling: a person (``user``) or an exchange's machine client (``client``).

    A person read with their token comes as an ``account``; ``user``, the ``User`` object, is
    made from it when first asked for (most requests never ask).
    """

    __slots__ = ("_user", "account", "client", "grant", "kind", "roles", "scopes", "subject")

    def __init__(
        self,
        *,
        kind: str,
        subject: str,
        scopes: frozenset[str],
        grant: str,
        user: User | None = None,
        client: ExchangeClient | None = None,
        roles: frozenset[str] = frozenset(),
        account: Account | None = None,
    ) -> None:
        self.kind, self.subject, self.scopes, self.grant = kind, subject, scopes, grant
        self.client, self.roles, self.account = client, roles, account
        self._user = user

    @property
    def user(self) -> User | None:
        if self._user is None and self.account is not None:
            self._user = self.account.to_user()
        return self._user

    @property
    def user_id(self) -> uuid.UUID | None:
        """The person's id, without making the ``User``."""
        if self.account is not None:
            return cast(uuid.UUID, self.account.values["id"])
        return self._user.id if self._user is not None else None

    @property
    def organisation_id(self) -> uuid.UUID | None:
        """The person's organisation, without making the ``User``."""
        if self.account is not None:
            return cast(uuid.UUID | None, self.account.values["organisation_id"])
        return self._user.organisation_id if self._user is not None else None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject}"


def scopes_for_roles(roles: list[str]) -> set[str]:
    mapping = role_scopes()
    scopes = set(USER_BASE_SCOPES)
    for role in roles:
        scopes.update(mapping.get(role, ()))
    return scopes


def _narrow(allowed: set[str], requested: str | None) -> set[str]:
    if not requested:
        return allowed
    wanted = set(requested.split())
    if not wanted <= allowed:
        raise InvalidScope(
            f"Scopes not granted to this account: {' '.join(sorted(wanted - allowed))}"
        )
    return wanted


async def _sign(
    session: AsyncSession,
    keyring: KeyRing,
    settings: Settings,
    *,
    subject: str,
    scopes: set[str],
    grant: str,
    extra: dict[str, Any],
) -> tuple[str, int]:
    now = utcnow()
    ttl = settings.auth.access_ttl_seconds
    claims = {
        "iss": settings.auth.issuer,
        "aud": settings.auth.audience,
        "sub": subject,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": uuid.uuid4().hex,
        "scope": " ".join(sorted(scopes)),
        "gty": grant,
        **extra,
    }
    return encode_jwt(claims, await keyring.active_key(session)), ttl


async def _issue_refresh(
    session: AsyncSession, settings: Settings, *, user: User, scopes: set[str], family: uuid.UUID
) -> str:
    token = new_opaque_token()
    session.add(
        RefreshToken(
            token_hash=sha256_hex(token),
            family_id=family,
            user_id=user.id,
            scope=" ".join(sorted(scopes)),
            expires_at=utcnow() + timedelta(days=settings.auth.refresh_ttl_days),
        )
    )
    await session.flush()
    return token


async def _user_tokens(
    session: AsyncSession,
    keyring: KeyRing,
    settings: Settings,
    *,
    user: User,
    scopes: set[str],
    grant: str,
    family: uuid.UUID,
) -> TokenResponse:
    access, ttl = await _sign(
        session,
        keyring,
        settings,
        subject=f"user:{user.id}",
        scopes=scopes,
        grant=grant,
        # The session (refresh-token family) id: ending the session ends its access tokens.
        extra={"roles": user.roles, "sid": str(family)},
    )
    refresh = await _issue_refresh(session, settings, user=user, scopes=scopes, family=family)
    return TokenResponse(
        access_token=access, expires_in=ttl, scope=" ".join(sorted(scopes)), refresh_token=refresh
    )


def failure_key(address: str, account: str) -> str:
    """Failures count per address and account: a guesser elsewhere cannot lock a user out."""
    return sha256_hex(f"{address}\n{account}")


async def _check_login_rate(session: AsyncSession, settings: Settings, account: str) -> None:
    window = settings.auth.login_window_seconds
    since = utcnow() - timedelta(seconds=window)
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(LoginFailure.failed_at)).where(
                LoginFailure.account == account, LoginFailure.failed_at > since
            )
        )
    ).one()
    if count >= settings.auth.login_max_failures and oldest is not None:
        retry = max(1, int((oldest - since).total_seconds()) + 1)
        raise TooManyRequests(
            "Too many failed attempts for this account from this address; try again later",
            headers={"Retry-After": str(retry)},
        )


async def password_grant(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    scope: str | None,
    settings: Settings,
    keyring: KeyRing,
    passwords: Passwords,
    address: str,
) -> TokenResponse:
    """Exchange an e-mail and password for an access and a refresh token."""
    account = username.strip().lower()
    key = failure_key(address, account)
    await _check_login_rate(session, settings, key)
    user = await session.scalar(
        select(User).where(User.email == account).options(selectinload(User.role_rows))
    )
    if not await passwords.verify_async(user.password_hash if user else None, password) or (
        user is None or not user.is_active
    ):
        session.add(LoginFailure(account=key))
        raise InvalidGrant("Unknown account or wrong password")
    await session.execute(delete(LoginFailure).where(LoginFailure.account == key))
    scopes = _narrow(scopes_for_roles(user.roles), scope)
    return await _user_tokens(
        session, keyring, settings, user=user, scopes=scopes, grant="password", family=uuid.uuid4()
    )


async def refresh_grant(
    session: AsyncSession, *, refresh_token: str, settings: Settings, keyring: KeyRing
) -> TokenResponse:
    """Rotate a refresh token; presenting a used one revokes its whole family."""
    now = utcnow()
    row = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == sha256_hex(refresh_token))
    )
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise InvalidGrant("The refresh token is unknown, expired or revoked")
    if row.used_at is not None:
        await revoke_family(session, row.family_id)
        raise InvalidGrant("The refresh token was already used; the session has been revoked")
    row.used_at = now
    user = await session.scalar(
        select(User).where(User.id == row.user_id).options(selectinload(User.role_rows))
    )
    if user is None or not user.is_active:
        raise InvalidGrant("The account is disabled")
    scopes = set(row.scope.split()) & scopes_for_roles(user.roles)
    return await _user_tokens(
        session,
        keyring,
        settings,
        user=user,
        scopes=scopes,
        grant="password",
        family=row.family_id,
    )


async def revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def revoke_user_sessions(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Revoke every refresh token of a user (password changed, account disabled)."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def revoke(
    session: AsyncSession, *, token: str, settings: Settings, keyring: KeyRing
) -> None:
    """RFC 7009: a refresh or access token ends its whole session; unknown tokens are ignored."""
    row = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == sha256_hex(token))
    )
    if row is not None:
        await revoke_family(session, row.family_id)
        return
    try:
        claims = await _verified_claims(session, token, settings=settings, keyring=keyring)
        family = uuid.UUID(str(claims["sid"]))
    except (Unauthorized, KeyError, ValueError):
        return
    await revoke_family(session, family)


async def client_credentials_grant(
    session: AsyncSession,
    *,
    client_id: str,
    client_secret: str,
    scope: str | None,
    settings: Settings,
    keyring: KeyRing,
    passwords: Passwords,
    address: str,
) -> TokenResponse:
    """Exchange an exchange client's id and secret for an access token (no refresh token)."""
    key = failure_key(address, f"client:{client_id}")
    await _check_login_rate(session, settings, key)
    client = await session.scalar(
        select(ExchangeClient).where(ExchangeClient.client_id == client_id)
    )
    valid = await passwords.verify_async(client.secret_hash if client else None, client_secret)
    if client is not None and not valid and client.previous_secret_hash:
        expires = client.previous_secret_expires_at
        if expires is not None and expires > utcnow():
            valid = await passwords.verify_async(client.previous_secret_hash, client_secret)
    if client is None or not valid or not client.is_active:
        session.add(LoginFailure(account=key))
        raise InvalidClient("Unknown client, wrong secret or disabled client")
    await session.execute(delete(LoginFailure).where(LoginFailure.account == key))
    scopes = _narrow(set(client.scopes), scope)
    access, ttl = await _sign(
        session,
        keyring,
        settings,
        subject=f"client:{client.client_id}",
        scopes=scopes,
        grant="client_credentials",
        extra={"exchange": client.exchange_code},
    )
    return TokenResponse(access_token=access, expires_in=ttl, scope=" ".join(sorted(scopes)))


Sessions = AsyncSession | async_sessionmaker[AsyncSession]


async def _public_key(
    keyring: KeyRing, kid: str, sessions: Sessions
) -> tuple[PublicKey, float | None]:
    """The key from the ring's cache; a session is opened only when the ring must reload."""
    cached = keyring.cached_public_key(kid)
    if cached is not None:
        return cached
    if isinstance(sessions, AsyncSession):
        return await keyring.public_key(sessions, kid)
    async with sessions() as session:
        return await keyring.public_key(session, kid)


async def _verified_claims(
    sessions: Sessions, token: str, *, settings: Settings, keyring: KeyRing
) -> dict[str, Any]:
    """The claims of a token this service signed, checked; ``Unauthorized`` otherwise."""
    remembered = keyring.verified(token)
    try:
        kid = remembered[0] if remembered is not None else unverified_kid(token)
        key, retired_at = await _public_key(keyring, kid, sessions)
    except (TokenError, KeyError) as exc:
        raise Unauthorized("The access token is invalid") from exc
    now = utcnow().timestamp()
    if retired_at is not None and now - retired_at > settings.auth.key_grace_seconds:
        raise Unauthorized("The access token was signed by a retired key")
    if remembered is not None:
        claims = remembered[1]
        # The signature, audience and issuer were checked once; time moves on (checked as
        # the decoder checks it: whole seconds, no leeway).
        seconds = int(now)
        if claims.get("nbf", seconds) > seconds or claims["exp"] < seconds:
            raise Unauthorized("The access token is invalid or expired")
        return claims
    try:
        claims = decode_jwt(
            token, key, audience=settings.auth.audience, issuer=settings.auth.issuer
        )
    except TokenError as exc:
        raise Unauthorized("The access token is invalid or expired") from exc
    keyring.remember(token, kid, claims)
    return claims


async def authenticate(
    sessions: async_sessionmaker[AsyncSession], token: str, *, settings: Settings, keyring: KeyRing
) -> Principal:
    """Verify a bearer token and read the live account or client behind it.

    One statement by key (``app.core.lookups``), outside the request's transaction; the
    account or client comes back as a detached object (``attach`` puts it in a session).
    """
    claims = await _verified_claims(sessions, token, settings=settings, keyring=keyring)
    kind, _, subject = str(claims["sub"]).partition(":")
    scopes = frozenset(str(claims.get("scope", "")).split())
    grant = str(claims.get("gty", ""))
    if kind == "user":
        return await _user_principal(sessions, subject, scopes, grant, claims.get("sid"))
    if kind == "client":
        rows = await lookups.fetch(sessions, _CLIENT_BY_ID, {"client_id": subject})
        client = lookups.detached(ExchangeClient, rows[0]) if rows else None
        if client is None or not client.is_active:
            raise Unauthorized("The client is disabled")
        return Principal(
            kind="client",
            subject=subject,
            scopes=scopes & frozenset(client.scopes),
            grant=grant,
            client=client,
        )
    raise Unauthorized("The access token has an unknown subject")


_USER_COLUMNS = tuple(User.__table__.c)
_USER_KEYS = tuple(column.key for column in _USER_COLUMNS)
# The session must still be open: logout, a password change or a reused refresh token revoke
# its family, and its access tokens stop working at once, like deactivation.
_OPEN_SESSION = (
    select(RefreshToken.id)
    .where(RefreshToken.family_id == bindparam("family"), RefreshToken.revoked_at.is_(None))
    .exists()
)
# Every authenticated request runs this: the account, its roles (one row each) and the
# session check in one statement.
_USER_BY_SESSION = (
    select(*_USER_COLUMNS, UserRole.role)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .where(User.id == bindparam("user_id"), _OPEN_SESSION)
    .order_by(UserRole.role)
)
_CLIENT_BY_ID = select(*lookups.columns(ExchangeClient)).where(
    ExchangeClient.client_id == bindparam("client_id")
)


def attach(session: AsyncSession, instance: object | None) -> None:
    """Put a detached account or client in ``session``: changes to it are then flushed."""
    if instance is not None and instance not in session:
        session.add(instance)


async def _user_principal(
    sessions: async_sessionmaker[AsyncSession],
    subject: str,
    scopes: frozenset[str],
    grant: str,
    sid: object,
) -> Principal:
    try:
        user_id, family = uuid.UUID(subject), uuid.UUID(str(sid))
    except ValueError as exc:
        raise Unauthorized("The access token names no user session") from exc

    async def read() -> Account:
        params = {"user_id": user_id, "family": family}
        rows = await lookups.fetch(sessions, _USER_BY_SESSION, params)
        if not rows:
            raise Unauthorized("The session has ended or the account is disabled")
        role_names = tuple(row[-1] for row in rows if row[-1] is not None)
        return Account(dict(zip(_USER_KEYS, rows[0], strict=False)), role_names)

    # Kept while the database is unchanged: a logout, a revocation, a role or an account
    # changed is seen by the next request (see ``app.core.lookups``).
    account = await lookups.remembered(sessions, ("user-session", user_id, family), read)
    role_names = account.roles
    if not account.is_active:
        raise Unauthorized("The session has ended or the account is disabled")
    # Roles removed since the token was issued stop working at once.
    live_scopes = scopes & frozenset(scopes_for_roles(list(role_names)))
    return Principal(
        kind="user",
        subject=subject,
        scopes=live_scopes,
        grant=grant,
        roles=frozenset(role_names),
        account=account,
    )

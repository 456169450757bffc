"""Accounts: self-registration, administration, profiles and the first administrator."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.pagination import keyset_page
from app.core.security import Passwords
from app.models import Organisation, User, UserRole
from app.models.base import utcnow
from app.schemas.user import ProfileUpdate, RegisterRequest, UserCreate, UserUpdate
from app.services.accounts.tokens import revoke_user_sessions


class UserNotFound(NotFound):
    slug, title = "user-not-found", "User not found"


class EmailTaken(Conflict):
    slug, title = "email-taken", "E-mail already registered"


class WrongPassword(Unprocessable):
    slug, title = "wrong-password", "Current password is wrong"


class OrganisationUnknown(Unprocessable):
    slug, title = "organisation-unknown", "Unknown organisation"


async def _check_organisation(session: AsyncSession, organisation_id: uuid.UUID | None) -> None:
    if organisation_id is not None and await session.get(Organisation, organisation_id) is None:
        raise OrganisationUnknown(
            f"No organisation {organisation_id}",
            extra={
                "errors": [
                    {
                        "loc": ["body", "organisation_id"],
                        "msg": "unknown organisation",
                        "type": "unknown",
                    }
                ]
            },
        )


async def _insert(
    session: AsyncSession,
    *,
    email: str,
    password_hash: str,
    full_name: str,
    roles: list[str],
    organisation_id: uuid.UUID | None,
) -> User:
    await _check_organisation(session, organisation_id)
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise EmailTaken(f"{email} already has an account")
    user = User(
        email=email,
        password_hash=password_hash,
        full_name=full_name,
        organisation_id=organisation_id,
        role_rows=[UserRole(role=role) for role in sorted(set(roles))],
    )
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise EmailTaken(f"{email} already has an account") from exc
    return user


async def register(session: AsyncSession, data: RegisterRequest, *, passwords: Passwords) -> User:
    """Create a scientist's account."""
    return await _insert(
        session,
        email=data.email,
        password_hash=await passwords.hash_async(data.password),
        full_name=data.full_name,
        roles=["scientist"],
        organisation_id=None,
    )


async def create(session: AsyncSession, data: UserCreate, *, passwords: Passwords) -> User:
    """Create an account with the given roles (administrators only)."""
    return await _insert(
        session,
        email=data.email,
        password_hash=await passwords.hash_async(data.password),
        full_name=data.full_name,
        roles=list(data.roles),
        organisation_id=data.organisation_id,
    )


async def get(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.scalar(
        select(User).where(User.id == user_id).options(selectinload(User.role_rows))
    )
    if user is None:
        raise UserNotFound(f"No user {user_id}")
    return user


async def list_page(
    session: AsyncSession, *, role: str | None, cursor: str | None, limit: int
) -> tuple[list[User], str | None]:
    """Users in creation order, optionally those holding one role."""
    stmt = select(User).options(selectinload(User.role_rows))
    if role:
        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    return await keyset_page(
        session,
        stmt,
        order=(User.created_at, User.id),
        cursor=cursor,
        limit=limit,
        purpose="users",
    )


async def update(session: AsyncSession, user: User, data: UserUpdate) -> User:
    """Apply an administrator's changes."""
    changes = data.model_dump(exclude_unset=True)
    if "organisation_id" in changes:
        await _check_organisation(session, changes["organisation_id"])
        user.organisation_id = changes["organisation_id"]
    if changes.get("full_name") is not None:
        user.full_name = changes["full_name"]
    if changes.get("is_active") is not None:
        user.is_active = changes["is_active"]
        if not user.is_active:
            await revoke_user_sessions(session, user.id)
    if changes.get("roles") is not None:
        wanted = sorted(set(changes["roles"]))
        kept = [row for row in user.role_rows if row.role in wanted]
        have = {row.role for row in kept}
        user.role_rows = kept + [UserRole(role=r) for r in wanted if r not in have]
        # Roles live in another table; touch the row so its version (and ETag) moves.
        user.updated_at = utcnow()
    await session.flush()
    return user


async def update_profile(
    session: AsyncSession, user: User, data: ProfileUpdate, *, passwords: Passwords
) -> User:
    """Apply a user's changes to their own account."""
    if data.full_name is not None:
        user.full_name = data.full_name
    if data.new_password is not None:
        if not await passwords.verify_async(user.password_hash, data.current_password or ""):
            raise WrongPassword("current_password does not match")
        user.password_hash = await passwords.hash_async(data.new_password)
        # Other devices signed in with the old password lose their sessions.
        await revoke_user_sessions(session, user.id)
    await session.flush()
    return user


async def ensure_admin(
    session: AsyncSession, *, email: str, password: str, passwords: Passwords
) -> User | None:
    """Create an administrator unless one exists; returns the new account or ``None``."""
    existing = await session.scalar(
        select(UserRole.user_id).where(UserRole.role == "admin").limit(1)
    )
    if existing is not None:
        return None
    try:
        return await _insert(
            session,
            email=email.strip().lower(),
            password_hash=await passwords.hash_async(password),
            full_name="Administrator",
            roles=["admin"],
            organisation_id=None,
        )
    except EmailTaken:
        # Another API process starting at the same moment created it first.
        return None

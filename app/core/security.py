"""Password hashing and JSON Web Tokens: the only module that touches python-jose and argon2.

Tokens are signed with RS256 keys from the database key ring; each token names its key in the
``kid`` header, so keys rotate without invalidating tokens signed by a recently retired key.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from jose import jwk, jwt
from jose.exceptions import JOSEError

ALGORITHM = "RS256"
_B64URL = re.compile(r"[A-Za-z0-9_-]+")


class TokenError(Exception):
    """A token that must be refused."""


@dataclass(frozen=True)
class PublicKey:
    kid: str
    algorithm: str
    pem: str


@dataclass(frozen=True)
class PrivateKey:
    kid: str
    algorithm: str
    pem: str


# -- passwords ------------------------------------------------------------------------------------


class Passwords:
    def __init__(self, *, time_cost: int, memory_kib: int) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        # Verified against when the account does not exist, so timing does not reveal it.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return str(self._hasher.hash(password))

    # Argon2 costs tens of milliseconds of CPU by design: off the event loop in request paths.
    async def hash_async(self, password: str) -> str:
        return await asyncio.to_thread(self.hash, password)

    async def verify_async(self, password_hash: str | None, password: str) -> bool:
        return await asyncio.to_thread(self.verify, password_hash, password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return bool(self._hasher.verify(password_hash or self._dummy, password)) and bool(
                password_hash
            )
        except (VerificationError, InvalidHashError):
            return False


# -- secrets at rest ------------------------------------------------------------------------------


def _fernet(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest()))


def encrypt(secret_key: str, plaintext: str) -> str:
    return _fernet(secret_key).encrypt(plaintext.encode()).decode()


def decrypt(secret_key: str, token: str) -> str:
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise TokenError("stored key cannot be decrypted with the current secret") from exc


def sha256_hex(value: str | bytes) -> str:
    data = value.encode() if isinstance(value, str) else value
    return hashlib.sha256(data).hexdigest()


def hmac_sha256(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


# -- key pairs ------------------------------------------------------------------------------------


def generate_key_pair() -> tuple[str, str]:
    """A new RSA-2048 key pair as (private PEM, public PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def public_key_from_jwk(data: dict[str, Any]) -> PublicKey:
    """The RSA public key a JWK (RFC 7517) describes, as PEM; ``ValueError`` when it is none."""
    if data.get("kty") != "RSA" or not isinstance(data.get("kid"), str):
        raise ValueError("not an RSA key with a kid")
    e, n = (int.from_bytes(base64.urlsafe_b64decode(str(data[p]) + "=="), "big") for p in "en")
    pem = (
        rsa.RSAPublicNumbers(e, n)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return PublicKey(kid=data["kid"], algorithm=str(data.get("alg", ALGORITHM)), pem=pem.decode())


def public_jwk(key: PublicKey) -> dict[str, Any]:
    data: dict[str, Any] = jwk.construct(key.pem, key.algorithm).to_dict()
    data.update(kid=key.kid, use="sig", alg=key.algorithm)
    return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in data.items()}


# -- detached signatures (submission receipts) ----------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_detached(message: bytes, key: PrivateKey) -> str:
    """An RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature of ``message``, base64url."""
    if key.algorithm != ALGORITHM:
        raise TokenError("key algorithm not accepted")
    private = serialization.load_pem_private_key(key.pem.encode(), password=None)
    if not isinstance(private, rsa.RSAPrivateKey):
        raise TokenError("signing key is not an RSA key")
    return _b64url(private.sign(message, padding.PKCS1v15(), hashes.SHA256()))


def verify_detached(message: bytes, signature: str, key: PublicKey) -> bool:
    """Whether ``signature`` (base64url) is ``key``'s RS256 signature of ``message``."""
    if key.algorithm != ALGORITHM or not signature.isascii():
        return False
    public = serialization.load_pem_public_key(key.pem.encode())
    if not isinstance(public, rsa.RSAPublicKey):
        return False
    try:
        raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        # The decoder skips stray characters; only the canonical encoding is the signature.
        if _b64url(raw) != signature:
            return False
        public.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


# -- JWT ------------------------------------------------------------------------------------------


def encode_jwt(claims: dict[str, Any], key: PrivateKey) -> str:
    return str(jwt.encode(claims, key.pem, algorithm=key.algorithm, headers={"kid": key.kid}))


def unverified_kid(token: str) -> str:
    """The ``kid`` of a token's header, refusing any header that is not one of ours."""
    try:
        header = jwt.get_unverified_header(token)
    except JOSEError as exc:
        raise TokenError("malformed token") from exc
    kid = header.get("kid")
    if header.get("alg") != ALGORITHM or not isinstance(kid, str):
        raise TokenError("unexpected token algorithm or key id")
    return kid


def _canonical_b64url(segment: str) -> bool:
    """Unpadded base64url whose unused trailing bits are zero: one spelling per value."""
    if not segment or not _B64URL.fullmatch(segment) or len(segment) % 4 == 1:
        return False
    return _b64url(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))) == segment


def decode_jwt(token: str, key: PublicKey, *, audience: str, issuer: str) -> dict[str, Any]:
    """Verify signature, algorithm, expiry, audience and issuer; return the claims."""
    if key.algorithm != ALGORITHM:
        raise TokenError("key algorithm not accepted")
    segments = token.split(".")
    # The decoder would take padding and stray bits; a token has exactly one encoding.
    if len(segments) != 3 or not all(_canonical_b64url(s) for s in segments):
        raise TokenError("token segments are not canonical base64url")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.pem,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={"require_exp": True, "require_iat": True, "require_sub": True},
        )
    except JOSEError as exc:
        raise TokenError(str(exc)) from exc
    return claims

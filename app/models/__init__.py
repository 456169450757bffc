"""ORM models; importing this package registers every table on ``Base.metadata``."""

from app.models.base import Base
from app.models.idempotency import IdempotencyKey
from app.models.job import Job
from app.models.listing import ContactRequest, Listing
from app.models.notification import Notification
from app.models.organisation import Organisation
from app.models.security import LoginFailure, RefreshToken, SigningKey
from app.models.user import ExchangeClient, User, UserRole

__all__ = [
    "Base",
    "ContactRequest",
    "ExchangeClient",
    "IdempotencyKey",
    "Job",
    "Listing",
    "LoginFailure",
    "Notification",
    "Organisation",
    "RefreshToken",
    "SigningKey",
    "User",
    "UserRole",
]

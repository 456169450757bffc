"""ORM models; importing this package registers every table on ``Base.metadata``."""

from app.models.access import AccessRequest
from app.models.audit import AuditEntry
from app.models.base import Base
from app.models.coauthor import Coauthor
from app.models.deal import Deal, DealMove
from app.models.duplicate import ListingIdentifier
from app.models.exchange import Exchange
from app.models.idempotency import IdempotencyKey
from app.models.initiative import Attachment, Initiative, InitiativeVersion, Transition
from app.models.ip_record import IpAlert, IpCalendarToken, IpEvent, IpRecord
from app.models.job import Job
from app.models.listing import ContactRequest, Listing
from app.models.notification import Notification
from app.models.organisation import Organisation
from app.models.profile import Profile
from app.models.review import ReviewAssignment
from app.models.security import LoginFailure, RefreshToken, SigningKey
from app.models.sync import ChangeEntry, FeedHorizon
from app.models.user import ExchangeClient, User, UserRole
from app.models.watch import DiscoveryAlert, SavedSearch, Watch
from app.models.webhook import WebhookDelivery, WebhookSubscription

__all__ = [
    "AccessRequest",
    "Attachment",
    "AuditEntry",
    "Base",
    "ChangeEntry",
    "Coauthor",
    "ContactRequest",
    "Deal",
    "DealMove",
    "DiscoveryAlert",
    "Exchange",
    "ExchangeClient",
    "FeedHorizon",
    "IdempotencyKey",
    "Initiative",
    "InitiativeVersion",
    "IpAlert",
    "IpCalendarToken",
    "IpEvent",
    "IpRecord",
    "Job",
    "Listing",
    "ListingIdentifier",
    "LoginFailure",
    "Notification",
    "Organisation",
    "Profile",
    "RefreshToken",
    "ReviewAssignment",
    "SavedSearch",
    "SigningKey",
    "Transition",
    "User",
    "UserRole",
    "Watch",
    "WebhookDelivery",
    "WebhookSubscription",
]

"""Background work, assembled: importing this module registers every job handler and periodic
scheduler with the queue, so that a worker started by the app or by ``techx worker`` runs them.

The worker itself knows no job kind; a module that adds one registers it here.
"""

from app.services.discovery import watch_alerts  # noqa: F401
from app.services.federation import harvest_jobs  # noqa: F401
from app.services.ip import alerts  # noqa: F401
from app.services.jobs import maintenance  # noqa: F401
from app.services.notifications import mail, webhooks  # noqa: F401

"""Background work: the job queue in the database (``queue``: enqueue, claim with a lease,
retry with backoff, and the registries of handlers and periodic schedulers), the worker loop
that runs what is registered, and housekeeping (``maintenance``).

The worker knows no job kind: domain modules register their handlers with ``queue.handler`` and
``queue.periodic``, and ``app.handlers`` imports them. May import: ``app.core``, ``app.models``,
``app.context`` and, for housekeeping, ``federation.feed``.
"""

"""Who is who: users and their roles, organisations, token issuance and verification
(``tokens``), and the signing-key ring shared by every process (``keys``).

May import: ``app.core``, ``app.models``, ``app.schemas`` and ``app.vocabularies`` only.
"""

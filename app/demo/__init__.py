"""Demo data for a development instance (``techx demo``): organisations, a user of every role,
initiatives in every workflow stage, IP records and a bilingual catalogue, created through the
real services. Outside the domain layer: it may import services, never the other way round.
"""

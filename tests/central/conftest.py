"""Central's tests use the booth+central pair of the sync tests: the data central holds
comes from real booths through the real sync."""

from tests.sync.conftest import (  # noqa: F401  (fixtures)
    central_url,
    pair,
    seeded_postgres_template,
)

"""The API fixtures (real Redis and SecantusDB, no worker) of ``tests/integration/api``, shared here."""

from tests.integration.api.conftest import (  # noqa: F401  # fixtures, registered by being imported
    api_settings,
    app,
    client,
    make_api_settings,
    live_server,
    make_app,
    queued,
    redis_client,
    storage,
)

"""The API fixtures (real Redis and SecantusDB, no worker) of ``tests/integration/api``, shared here."""

from tests.integration.api.conftest import (  # noqa: F401  # fixtures, registered by being imported
    api_settings,
    app,
    client,
    live_server,
    make_api_settings,
    make_app,
    queued,
    redis_client,
    storage,
)

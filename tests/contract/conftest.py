"""The API fixtures (real Redis and SecantusDB, the app on a real socket) of ``tests/integration/api``."""

from tests.integration.api.conftest import (  # noqa: F401  # fixtures, registered by being imported
    api_settings,
    app,
    client,
    live_server,
    make_api_settings,
    make_app,
    storage,
)

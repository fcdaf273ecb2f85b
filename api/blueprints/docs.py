"""The API's own description: ``GET /api/v1/openapi.json`` (OpenAPI 3.1) and a docs page at ``/api/v1/docs``.

Both need no token. The page is Swagger UI served from the files of the ``flask-swagger-ui`` package, so it works
without internet access (no CDN).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app
from flask_swagger_ui import get_swaggerui_blueprint

from api.openapi import Body, Operation, build_spec, operation

SPEC_PATH = "/api/v1/openapi.json"
DOCS_PATH = "/api/v1/docs"
_SPEC_KEY = "langchain_jenkins.openapi"

bp = Blueprint("openapi", __name__)

#: The docs page's own routes (views of flask-swagger-ui, which we cannot decorate), by endpoint.
DOCS_OPERATIONS = {
    "docs.show": Operation(
        tags=("documentation",),
        responses={
            200: Body(
                description="the Swagger UI page, or one of its files", media_type="text/html", schema={}
            )
        },
        errors=(404,),
        public=True,
        summary="Interactive documentation of this API (Swagger UI, served locally)",
    )
}


def is_public(path: str) -> bool:
    """The description and its page are readable without a token."""
    return path in (SPEC_PATH, DOCS_PATH) or path.startswith(DOCS_PATH + "/")


@bp.get(SPEC_PATH)
@operation(
    tags=["documentation"],
    responses={200: Body(description="the OpenAPI 3.1 document", schema={"type": "object"})},
    public=True,
)
def openapi_document() -> dict[str, Any]:
    """This API's OpenAPI 3.1 description: every route, its bearer auth and its error shapes."""
    spec: dict[str, Any] | None = current_app.extensions.get(_SPEC_KEY)
    if spec is None:  # built once per app: routes do not change after start
        spec = current_app.extensions[_SPEC_KEY] = build_spec(current_app, extra=DOCS_OPERATIONS)
    return spec


def register(app: Flask) -> None:
    """Add the description route and the docs page to ``app``."""
    app.register_blueprint(bp)
    app.register_blueprint(
        get_swaggerui_blueprint(
            DOCS_PATH,
            SPEC_PATH,
            config={"app_name": "langchain-jenkins API", "persistAuthorization": True},
            blueprint_name="docs",
        )
    )

"""The interactive API pages, ``/docs`` (Swagger UI) and ``/redoc``, served from files installed with the package.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so on a machine without internet they stay blank. The
``serve`` extra installs ``fastapi-offline`` (MIT), which ships Swagger UI 5 and ReDoc as static files; this module
mounts those files under :data:`STATIC_URL` and points both pages at them, the recipe of FastAPI's "Self-hosting
JavaScript and CSS for docs". Without that package the pages fall back to FastAPI's CDN ones, and a warning says so.

>>> from fastapi import FastAPI
>>> app = FastAPI(docs_url=None, redoc_url=None)
>>> mount_docs(app)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib.resources
import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["STATIC_URL", "assets", "mount_docs"]

logger = logging.getLogger(__name__)

STATIC_URL = "/static-docs"
_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")


def assets() -> Path | None:
    """The folder holding Swagger UI's and ReDoc's files, or None when ``fastapi-offline`` is not installed."""
    try:
        folder = Path(str(importlib.resources.files("fastapi_offline") / "static"))
    except ModuleNotFoundError:
        return None
    return folder if all((folder / f).is_file() for f in _FILES) else None


def mount_docs(app: FastAPI, *, docs_url: str = "/docs", redoc_url: str = "/redoc") -> bool:
    """Add ``docs_url`` and ``redoc_url`` to ``app`` (made with ``docs_url=None, redoc_url=None``), served from
    local files; True when they are local, False when only FastAPI's CDN pages could be added."""
    folder = assets()
    local = folder is not None
    if local:
        app.mount(STATIC_URL, StaticFiles(directory=str(folder)), name="static-docs")
    else:
        logger.warning("fastapi-offline is not installed: /docs and /redoc load their scripts from a CDN and stay "
                       "blank offline (pip install 'brandfit[serve]')")
    oauth_url = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    def _asset(request: Request, name: str, cdn: str) -> str:
        return f"{request.scope.get('root_path', '')}{STATIC_URL}/{name}" if local else cdn

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{oauth_url}",
            swagger_js_url=_asset(request, "swagger-ui-bundle.js",
                                  "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"),
            swagger_css_url=_asset(request, "swagger-ui.css",
                                   "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"),
            swagger_favicon_url=_asset(request, "favicon.png", "https://fastapi.tiangolo.com/img/favicon.png"),
            swagger_ui_parameters=app.swagger_ui_parameters)

    @app.get(oauth_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(redoc_url, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - ReDoc",
            redoc_js_url=_asset(request, "redoc.standalone.js",
                                "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"),
            redoc_favicon_url=_asset(request, "favicon.png", "https://fastapi.tiangolo.com/img/favicon.png"),
            with_google_fonts=False)

    return local

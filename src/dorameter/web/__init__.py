"""The HTTP edge: `create_app(settings, store)` builds the FastAPI application."""

from dorameter.web.app import create_app

__all__ = ["create_app"]

"""The ASGI entry point uvicorn imports (one app per worker process)."""

from api.main import create_app

app = create_app()

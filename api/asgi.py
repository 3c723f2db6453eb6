"""The ASGI entry point uvicorn imports (one app per worker process)."""

from api.main import create_app
from api.settings import load_settings

app = create_app(settings=load_settings(), served=True)  # unsafe settings: one line on stderr, exit status 2

"""The edges: FastAPI app, CLI, store adapters and the composition root."""

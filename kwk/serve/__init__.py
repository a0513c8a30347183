"""The REST service: a run served over HTTP (``python -m kwk serve RUN``).

``kwk.serve.app.create_app(run_dir)`` builds the FastAPI app; ``kwk.serve.schema`` generates
the request's row model from the run's columns. FastAPI, uvicorn and the model are imported
only when a service is created.
"""

"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import gc

from app import create_app

app = create_app()
# What start-up built (the app, its mappers, templates and translations) lives as long as the
# worker: move it out of the collector's way, so that its collections walk only what requests
# make (about 200,000 objects fewer; docs/performance.md, "Creating cases").
gc.freeze()

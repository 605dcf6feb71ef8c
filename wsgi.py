"""WSGI entry point: ``waitress-serve wsgi:app`` or ``flask --app wsgi ocop …``."""

from pos import create_app
from pos.cli import register_cli

app = create_app()
register_cli(app)

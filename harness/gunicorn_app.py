"""A test-only app factory for real gunicorn workers (tests, ``tools/robustness_report.py``):
the service's own ``create_app`` with the username-only authenticator, so load and crash tests
need no credentials.

``PARTNER_TEST_PRINCIPALS`` maps usernames to client IDs as JSON, e.g. ``{"acme": 1}``; the
rest is configured by the usual ``PARTNER_*`` variables. Run as
``gunicorn -c deploy/gunicorn.conf.py 'harness.gunicorn_app:create_test_app()'`` from the
repository root.
"""

from __future__ import annotations

import json
import os

from partner_service.app import create_app
from partner_service.domain.model import Principal

from .databases import UsernameOnly


def create_test_app():
    principals = {name: Principal(int(client_id), username=name)
                  for name, client_id in json.loads(os.environ["PARTNER_TEST_PRINCIPALS"]).items()}
    return create_app(authenticate=UsernameOnly(principals))

"""gunicorn settings for the partner service, derived from its own settings.

Shipped inside the package (package data: its name is no module's), so an installed wheel
serves without a checkout. ``partner-service serve`` reads this file; so can gunicorn itself,
through ``deploy/gunicorn.conf.py`` or ``gunicorn -c "$(partner-service gunicorn-config)"
'partner_service.app:create_app()'`` (settings then come from PARTNER_* and
PARTNER_CONFIG_FILE only). Change the service's settings, not this file: every value here
follows one of them (see deploy/README.md).
"""

import gc
import ssl

from partner_service.entrypoints import metrics
from partner_service.entrypoints.request_log import logging_config
from partner_service.entrypoints.server import active_settings

settings = active_settings()

bind = [settings.bind]
proc_name = "partner-service"
# Threads wait on the database; processes use the cores. Each worker builds its own
# app, engine and connection pool after the fork: never preload. gunicorn's gthread worker,
# whose own error answers (a malformed request line, headers over the limits) are SOAP faults
# instead of HTML pages quoting the request, and which invites no body over max_body_bytes.
worker_class = "partner_service.entrypoints.server.SoapFaultWorker"
workers = settings.workers
threads = settings.threads
preload_app = False
# gunicorn's runtime control socket (gunicornc) is one path per user: two servers would
# clash, and nothing here needs it (SIGHUP reloads, SIGTERM stops, SIGTTIN/SIGTTOU scale).
control_socket_disable = True
# A worker silent for this long is killed and replaced; SIGTERM lets requests in flight
# finish for up to graceful_timeout seconds before workers are stopped.
timeout = settings.timeout
graceful_timeout = settings.graceful_timeout
keepalive = settings.keepalive
# HTTP limits before the app sees anything (the body limit is the app's: 413 before parsing).
limit_request_line = settings.limit_request_line
limit_request_fields = settings.limit_request_fields
limit_request_field_size = settings.limit_request_field_size
# The scheme and caller come from PARTNER_TRUSTED_PROXIES only (entrypoints/proxies.py):
# gunicorn itself believes no X-Forwarded-* header.
secure_scheme_headers = {}
forwarded_allow_ips = ""
# One structured line per request comes from the app (request_log); no access log.
accesslog = None
logconfig_dict = logging_config(settings.log_format, settings.log_level, settings.environment)
loglevel = settings.log_level

if not settings.insecure_http:
    certfile = str(settings.tls_cert_file)
    keyfile = str(settings.tls_key_file)


def ssl_context(conf, default_ssl_context_factory):
    """TLS 1.2 or newer only (gunicorn's ``ssl_version`` setting is deprecated and ignored)."""
    context = default_ssl_context_factory()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def on_starting(server):
    # Before any worker forks, so every worker writes its counts where /metrics reads them.
    metrics.prepare_directory()


def when_ready(server):
    for warning in settings.serving_warnings():
        server.log.warning("partner-service: %s", warning)
    if settings.metrics and settings.metrics_bind:
        from partner_service.app import unpooled_dependencies

        metrics.serve_exposition(settings.metrics_bind, server.log, unpooled_dependencies(settings),
                                 settings.environment)
    server.log.info("partner-service serving %s", settings.summary())


def post_worker_init(worker):
    # What the worker built once (schemas, WSDL, mappers, modules) lives as long as it does:
    # keep it out of every later garbage collection's scan.
    gc.freeze()


def child_exit(server, worker):
    metrics.worker_exited(worker.pid)


def on_exit(server):
    metrics.remove_own_directory()

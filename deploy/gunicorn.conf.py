"""gunicorn settings for people who run gunicorn themselves, from a checkout or an install.

The settings live inside the installed package (``partner_service/entrypoints/gunicorn.conf.py``,
what ``partner-service serve`` uses); this file runs that one, so both stay one:

    gunicorn -c deploy/gunicorn.conf.py 'partner_service.app:create_app()'

Settings then come from PARTNER_* and PARTNER_CONFIG_FILE only (see deploy/README.md).
Without a checkout: ``gunicorn -c "$(partner-service gunicorn-config)" ...`` names the same file.
"""

from partner_service.entrypoints.server import GUNICORN_CONFIG

# Executed, not imported: gunicorn reads a config file again on SIGHUP, and an import would
# keep the first reading's settings.
exec(compile(GUNICORN_CONFIG.read_bytes(), str(GUNICORN_CONFIG), "exec"))  # noqa: S102

"""What the tests, the benchmarks (``bench/``) and the tools (``tools/``) share: fresh
databases, a gunicorn of the service with a test app factory, a proxy that can cut connections,
load and hostile requests, and the check of what was stored.

Importable from the repository root (as ``bench`` is); not part of the installed distribution.
``tests.support`` re-exports it for the tests.
"""

"""Ways in: the SOAP endpoint, the WSGI front around it, and the command line."""

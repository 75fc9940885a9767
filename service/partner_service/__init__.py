"""partner_service: the partner-side SOAP service that the Connector pushes people into."""

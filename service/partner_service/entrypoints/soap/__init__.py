"""The SOAP 1.1 endpoint: spyne types, faults and services that translate and delegate."""

"""Support: the person lookup, the customer file, the diagnosis, staff actions and their admin pages."""

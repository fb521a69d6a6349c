"""The open-data portal: the opened part of the catalog for citizens, enterprises and app
developers, with a CKAN-compatible Action API."""

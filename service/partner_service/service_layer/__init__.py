"""Use cases over a unit of work: the only place that decides what is committed."""

"""After training: a run's model exported for other runtimes (``export``) and served over HTTP (``serve``)."""

"""Fitting: the stage as the unit (``stages``), the zoo's callbacks (``callbacks``), heads on cached
features (``features``), where training runs (``distribution``), and the run's life from build
to saved model (``training``, ``provenance``)."""

"""What people touch: the ``zoo`` command (``cli``) and the plugin scaffold (``scaffold``)."""

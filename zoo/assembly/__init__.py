"""Assembling a model from a plan: dataset, embedding and builder (``compose``), and the changes
made at build time: weights by layer name (``weights``), inserted batch normalization (``batchnorm``)."""

"""The catalog of plugins: the hooks (``hookspecs``), discovery and lookup (``registry``), a
target's parameters from its signature (``params``) and the values plugins exchange (``specs``)."""

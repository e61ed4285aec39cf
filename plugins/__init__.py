"""The built-in zoo plugins (installed as ``zoo_plugins``). Each registers through the same public
hooks a third-party plugin uses; ``registry.yaml`` names them and holds the built-in recipes."""

"""A custom layer, registered so that saved runs load with ``safe_mode=True`` and no custom_objects.

Only this module imports Keras at module level; keras-zoo imports it when it loads a run whose
model uses the layer (it reads the module name from the saved config, for loaded plugins only).
"""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="zoo_example")
class FeatureScale(keras.layers.Layer):
    """Multiplies each input feature by a learned scale (initialised to 1)."""

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, inputs: keras.KerasTensor) -> keras.KerasTensor:
        return inputs * self.scale

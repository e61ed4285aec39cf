"""The vision plugin's one custom layer: ImageNet "caffe" preprocessing inside the model, so a saved
run predicts on raw RGB images and the ImageNet weight files of ``keras.applications`` apply as they
were trained (BGR, mean-centred, unscaled)."""

from __future__ import annotations

from typing import Any

import keras

#: The ImageNet channel means, in BGR order, that ``keras.applications.vgg16.preprocess_input`` subtracts.
IMAGENET_BGR_MEAN = (103.939, 116.779, 123.68)


@keras.saving.register_keras_serializable(package="zoo_plugins.vision")
class CaffePreprocessing(keras.layers.Layer):
    """RGB in [0, 255] -> BGR minus the ImageNet mean, as ``keras.applications.vgg16.preprocess_input``.

    A grayscale input (one channel) has the mean of the three subtracted.
    """

    def call(self, inputs: Any) -> Any:
        inputs = keras.ops.cast(inputs, self.compute_dtype)
        if inputs.shape[-1] == 3:
            return keras.ops.flip(inputs, axis=-1) - keras.ops.convert_to_tensor(IMAGENET_BGR_MEAN, self.compute_dtype)
        return inputs - sum(IMAGENET_BGR_MEAN) / 3

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

"""Character-level language models: character corpora, ``char-lstm``, and ``zoo generate``."""

from zoo import hookimpl


@hookimpl
def register_models(register):
    register(
        "char-lstm",
        "zoo_plugins.charlm.models:char_lstm",
        tags=["charlm"],
        tiny={"embedding_dim": 2, "units": 3, "layers": 1},
        summary="Characters -> embedding -> stacked LSTM -> the next character (cuDNN-ready settings).",
    )


@hookimpl
def register_datasets(register):
    register(
        "text-corpus",
        "zoo_plugins.charlm.data:text_corpus",
        tags=["charlm"],
        summary="Any UTF-8 text file or folder of .txt files, as windows of characters.",
    )
    register(
        "nietzsche",
        "zoo_plugins.charlm.data:nietzsche",
        tags=["charlm"],
        summary="The lesson's Nietzsche corpus (600,893 characters), as windows of characters.",
    )
    register(
        "synthetic-text",
        "zoo_plugins.charlm.data:synthetic_text",
        tags=["charlm", "synthetic"],
        summary="SYNTHETIC sentences of invented words with learnable successors (offline demos, tests).",
    )


@hookimpl
def register_callbacks(register):
    register(
        "sample-text",
        "zoo_plugins.charlm.generate:sample_text",
        tags=["charlm"],
        summary="Write a short generated sample every N epochs, to watch a character model learn.",
    )


@hookimpl
def register_recipes(register):
    from zoo_plugins import register_recipes_of

    register_recipes_of("charlm", register)


@hookimpl
def register_commands(cli):
    from zoo_plugins.charlm.generate import generate_command  # click and numpy only; Keras loads when it runs

    cli.add_command(generate_command)

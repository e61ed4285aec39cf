"""Text classification: IMDB and text-folder datasets, the lesson's three classifiers, n-gram NB-logistic."""

from zoo import hookimpl


@hookimpl
def register_models(register):
    register(
        "text-dense",
        "zoo_plugins.text.models:text_dense",
        tags=["text"],
        tiny={"embedding_dim": 4, "hidden": 3},
        summary="Embedding -> Flatten -> one hidden dense layer (the lesson's first model).",
    )
    register(
        "text-cnn",
        "zoo_plugins.text.models:text_cnn",
        tags=["text"],
        tiny={"embedding_dim": 4, "filters": 3, "hidden": 3},
        summary="Embedding -> Conv1D -> max pooling -> dense (the lesson's single convolution).",
    )
    register(
        "text-multi-cnn",
        "zoo_plugins.text.models:text_multi_cnn",
        tags=["text"],
        tiny={"embedding_dim": 4, "filters": 3, "hidden": 3},
        summary="Parallel Conv1D branches of several widths, concatenated in a nested sub-model.",
    )
    register(
        "text-nb-logistic",
        "zoo_plugins.text.models:text_nb_logistic",
        tags=["text", "ngrams"],
        aliases=["nbsvm"],
        tiny={"ratio_scale": 2.0},
        summary="Logistic regression over a bag of n-grams with naive-Bayes-scaled weights (NBSVM).",
    )


@hookimpl
def register_embeddings(register):
    register(
        "glove",
        "zoo_plugins.text.embeddings:glove",
        tags=["text"],
        summary="GloVe word vectors from a .txt or .txt.gz file of any dimension (parsed once, then cached).",
    )
    register(
        "word2vec",
        "zoo_plugins.text.embeddings:word2vec",
        tags=["text"],
        aliases=["w2v"],
        summary="word2vec through gensim: a KeyedVectors or word2vec file, or trained on the dataset's text.",
    )
    register(
        "nb-ratios",
        "zoo_plugins.text.embeddings:nb_ratios",
        tags=["text", "ngrams"],
        summary="Naive-Bayes log-count ratio of each word or n-gram, from the training labels (1-d).",
    )


@hookimpl
def register_datasets(register):
    register(
        "imdb",
        "zoo_plugins.text.data:imdb",
        tags=["text"],
        summary="IMDB reviews, positive or negative: the Keras imdb.npz, or the raw Stanford reviews.",
    )
    register(
        "text-folder",
        "zoo_plugins.text.data:text_folder",
        tags=["text"],
        summary="Any labelled corpus laid out as {train,test}/<class>/*.txt, in a folder or .tar.gz.",
    )


@hookimpl
def register_recipes(register):
    from zoo_plugins import register_recipes_of

    register_recipes_of("text", register)


@hookimpl
def register_commands(cli):
    from zoo_plugins.text.commands import (
        embed_group,  # click only; gensim and Keras load when a command runs
    )

    cli.add_command(embed_group)

"""The ``zoo`` command. Only ``build``, ``train``, ``evaluate``, ``predict``, ``export`` and ``serve``
import Keras, and only once they run: ``zoo --help``, ``list``, ``show``, ``plugins`` and ``runs``
stay free of TensorFlow."""

from __future__ import annotations

import functools
import json
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
import yaml

from zoo._version import __version__
from zoo.catalog.registry import DEBUG_ENV, KINDS, Entry, Registry, filter_entries, load_plugins
from zoo.console import note, quiet_native_logs
from zoo.errors import RecipeDeprecationWarning, ZooError, did_you_mean
from zoo.runs import layout
from zoo.runs.run import RUNS_DIR_ENV

PLURAL = {f"{kind}s": kind for kind in KINDS}


def _registry(ctx: click.Context) -> Registry:
    root = ctx.find_root()
    return load_plugins(root.params.get("plugin_files") or (), bool(root.params.get("strict")))


def pass_registry(f: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a plugin's click command to receive the running ``zoo``'s registry (with its
    ``--plugin`` files and ``--strict``) as its first argument, for ``zoo.runs.saved.load_run``."""

    @functools.wraps(f)
    def with_registry(*args: Any, **kwargs: Any) -> Any:
        return f(_registry(click.get_current_context()), *args, **kwargs)

    return with_registry


class ZooGroup(click.Group):
    """Adds plugin commands (``register_commands``) and turns user errors into one line."""

    def _with_plugin_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        group = click.Group()
        _registry(ctx).call_hook("register_commands", strict=bool(ctx.find_root().params.get("strict")), cli=group)
        return {**group.commands, **self.commands}  # a plugin cannot replace a core command

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._with_plugin_commands(ctx))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self.commands.get(cmd_name) or self._with_plugin_commands(ctx).get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # Ctrl-C: the shell's convention (130), as `zoo train` exits, not click's "Aborted!"
            click.echo("", err=True)
            ctx.exit(130)
        except ZooError as exc:
            if ctx.params.get("debug"):
                raise
            message = str(exc)  # one line, and never megabytes, whatever it quotes
            click.echo(f"Error: {message if len(message) <= 2000 else message[:1980] + ' ...'}", err=True)
            ctx.exit(getattr(exc, "exit_code", 1))


@click.group(cls=ZooGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="keras-zoo")
@click.option(
    "--plugin",
    "plugin_files",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Load a local plugin file (repeatable; also ZOO_PLUGIN_FILES).",
)
@click.option("--strict", is_flag=True, help="Make a plugin that fails to load a fatal error.")
@click.option("--debug", is_flag=True, help="Show tracebacks for user errors.")
def cli(plugin_files: tuple[str, ...], strict: bool, debug: bool) -> None:
    """keras-zoo: Keras models, datasets and embeddings composed by name.

    \b
    zoo list                 what is registered (models, datasets, embeddings, recipes)
    zoo show NAME            parameters and docs of a plugin, or a recipe fully resolved
    zoo build NAME           build a recipe's model and save it as a run directory
    zoo train NAME           build, train, evaluate and save
    """


# -- list / show / plugins --------------------------------------------------------------------


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join([*(c.ljust(w) for c, w in zip(row, widths)), row[-1]]).rstrip() for row in rows)


@cli.command("list")
@click.argument("what", required=False)
@click.option("--tag", help="Only entries with this tag.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def list_command(ctx: click.Context, what: str | None, tag: str | None, as_json: bool) -> None:
    """List what is registered. WHAT is a kind (models, datasets, embeddings, recipes) or an
    fnmatch pattern such as 'imdb*'."""
    registry = _registry(ctx)
    kind = PLURAL.get(what or "") or (what if what in KINDS else None)
    entries = filter_entries(registry.entries(kind), None if kind else what, tag)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "name": e.name,
                        "kind": e.kind,
                        "plugin": e.plugin,
                        "summary": e.summary,
                        "tags": list(e.tags),
                        "aliases": list(e.aliases),
                    }
                    for e in entries
                ],
                indent=2,
            )
        )
        return
    if not entries:
        nothing = "nothing matches" + (f" {what!r}" if what else "") + (f" with tag {tag!r}" if tag else "")
        if what and not kind and not any(c in what for c in "*?["):  # a plain word: a kind or name mistyped
            names = [*PLURAL, *(e.name for e in registry.entries())]
            hint = did_you_mean(what, names) or f" (kinds: {', '.join(PLURAL)}; or a pattern such as 'imdb*')"
            raise ZooError(f"{nothing}{hint}")
        click.echo(nothing)
        return
    rows = [("KIND", "NAME", "PLUGIN", "SUMMARY")]
    rows += [
        (e.kind, e.qualified_name if registry.is_ambiguous(e) else e.name, e.plugin, _first_line(e.summary))
        for e in entries
    ]
    click.echo(_table(rows))


def _annotation_text(annotation: Any) -> str:
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))


def _yaml_inline(value: Any) -> str:
    from zoo.recipes.plan import plain

    return yaml.safe_dump(plain(value), default_flow_style=True).strip().removesuffix("...").strip()


def _show_component(entry: Entry) -> dict[str, Any]:
    import inspect

    from zoo.catalog.params import docstring_args, injected_parameters, recipe_parameters

    target = entry.load()
    doc = inspect.getdoc(target) or ""
    if docstring_args(target):
        doc = doc.split("\nArgs:")[0].strip()
    return {
        "target": entry.target_path,
        "takes": [f"{p.name}: {_annotation_text(p.annotation)}" for p in injected_parameters(target)],
        "docs": doc,
        "parameters": [
            {
                "name": p.name,
                "type": p.type_text,
                "default": None if p.required else p.default,
                "required": p.required,
                "description": p.description,
            }
            for p in recipe_parameters(target).values()
        ],
    }


@cli.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def show(ctx: click.Context, name: str, as_json: bool) -> None:
    """Show a model, dataset, embedding or recipe: its docs and every parameter, or for a recipe,
    the fully resolved YAML."""
    from zoo.errors import UnknownNameError, did_you_mean
    from zoo.recipes.plan import dump_recipe, plain
    from zoo.recipes.resolve import resolve

    registry = _registry(ctx)
    found = []
    for kind in KINDS:
        try:
            found.append(registry.get(kind, name))
        except UnknownNameError:
            continue
    if not found:
        known = [e.name for e in registry.entries()]
        raise UnknownNameError(
            f"nothing is registered as {name!r}{did_you_mean(name.rpartition(':')[2], known)} (see `zoo list`)"
        )
    shown = []
    for entry in found:
        plugin = registry.plugins[entry.plugin]
        info: dict[str, Any] = {
            "name": entry.name,
            "kind": entry.kind,
            "summary": entry.summary,
            "plugin": entry.plugin,
            "distribution": plugin.distribution,
            "version": plugin.version,
            "source": registry.describe_source(entry),  # the distribution, or the plugin file
            "tags": list(entry.tags),
            "aliases": list(entry.aliases),
        }
        if entry.kind == "recipe":
            info["resolved"] = resolve(entry.qualified_name, registry).to_recipe()
        else:
            info.update(_show_component(entry))
        shown.append(info)
    if as_json:
        click.echo(json.dumps(plain(shown if len(shown) > 1 else shown[0]), indent=2, default=str))
        return
    for info in shown:
        click.echo(f"{info['name']} ({info['kind']})")
        if info["summary"]:
            click.echo(f"  {info['summary']}")
        click.echo(f"plugin: {info['plugin']} ({info['source']})")
        if info["tags"]:
            click.echo(f"tags: {', '.join(info['tags'])}")
        if info["aliases"]:
            click.echo(f"aliases: {', '.join(info['aliases'])}")
        if info["kind"] == "recipe":
            click.echo("resolved recipe:")
            click.echo("  " + dump_recipe(info["resolved"]).rstrip().replace("\n", "\n  "))
            continue
        click.echo(f"target: {info['target']}({', '.join([*info['takes'], '...'])})")
        if info["docs"]:
            click.echo("\n  " + info["docs"].replace("\n", "\n  ") + "\n")
        click.echo("parameters:" if info["parameters"] else "parameters: none")
        for p in info["parameters"]:
            default = "required" if p["required"] else f"= {_yaml_inline(p['default'])}"
            click.echo(f"  {p['name']}: {p['type']} {default}")
            if p["description"]:
                click.echo(f"      {p['description']}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def plugins(ctx: click.Context, as_json: bool) -> None:
    """List the loaded plugins: where each came from, its hooks, and its load error if any."""
    registry = _registry(ctx)
    found = sorted(registry.plugins.values(), key=lambda p: (["builtin", "entrypoint", "file"].index(p.source), p.name))
    collisions = registry.collisions()
    if as_json:
        # each plugin with the collisions it takes part in (a list, as before collisions were listed)
        listed = [{**vars(p), "collisions": [c for c in collisions if f" {p.name}:" in c]} for p in found]
        click.echo(json.dumps(listed, indent=2))
        return
    rows = [("NAME", "SOURCE", "DISTRIBUTION", "VERSION", "IMPORT", "HOOKS")]
    rows += [
        (
            p.name,
            p.source,
            p.distribution or "-",
            p.version or "-",
            "-" if p.import_s is None else f"{p.import_s:.2f}s",
            f"ERROR: {p.error}" if p.error else ", ".join(h.removeprefix("register_") for h in p.hooks),
        )
        for p in found
    ]
    click.echo(_table(rows))
    for line in collisions:
        click.echo(f"collision: {line}; name it as plugin:name")


# -- new -------------------------------------------------------------------------------------------


@cli.group()
def new() -> None:
    """Start something new from a template."""


@new.command("plugin")
@click.argument("name")
@click.option("--out", type=click.Path(file_okay=False), help="Where to write it (default ./zoo-NAME).")
@click.pass_context
def new_plugin_command(ctx: click.Context, name: str, out: str | None) -> None:
    """Write a plugin package NAME that installs, lists, builds, trains and passes the test kit."""
    from zoo.surfaces.scaffold import new_plugin

    root = new_plugin(name, out, taken=_registry(ctx).plugins)
    click.echo(f"wrote {root}/ (package zoo-{name}); next: cd {root} && pip install -e '.[test]' && pytest")


# -- build / train ----------------------------------------------------------------------------


def _recipe_options(f: Any) -> Any:
    options = [
        click.argument("name", required=False),
        click.option(
            "-c",
            "--config",
            "config_files",
            multiple=True,
            type=click.Path(dir_okay=False),
            help="A YAML file with a recipe, or with named 'recipes:' (repeatable).",
        ),
        click.option(
            "--set",
            "overrides",
            multiple=True,
            metavar="KEY=VALUE",
            help="Override a recipe key, the value parsed as YAML: --set model.filters=128.",
        ),
        click.option("--out", type=click.Path(file_okay=False), help="The run directory (default runs/NAME-TIME)."),
        click.option("--force", is_flag=True, help="Replace --out if it already holds something."),
        click.option("--dry-run", is_flag=True, help="Resolve and validate only; touch no data and no TensorFlow."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _plan(ctx: click.Context, name: str | None, config_files: tuple[str, ...], overrides: tuple[str, ...]) -> Any:
    from zoo.recipes.resolve import resolve

    return resolve(name, _registry(ctx), config_files=config_files, overrides=overrides)


def _plan_unless_dry_run(
    ctx: click.Context,
    name: str | None,
    config_files: tuple[str, ...],
    overrides: tuple[str, ...],
    dry_run: bool,
    training: bool = False,
) -> Any:
    """The resolved plan; with ``--dry-run``, print it, say it is valid, and return None."""
    plan = _plan(ctx, name, config_files, overrides)
    if training:
        plan.train.require_epochs()
    if not dry_run:
        return plan
    from zoo.recipes.plan import dump_recipe

    click.echo(dump_recipe(plan.to_recipe()).rstrip())
    click.echo(f"dry run: recipe {plan.name!r} is valid; nothing was loaded or built")
    return None


@cli.command()
@_recipe_options
@click.pass_context
def build(
    ctx: click.Context,
    name: str | None,
    config_files: tuple[str, ...],
    overrides: tuple[str, ...],
    out: str | None,
    force: bool,
    dry_run: bool,
) -> None:
    """Build and compile a recipe's model, print its summary, and save a run directory."""
    plan = _plan_unless_dry_run(ctx, name, config_files, overrides, dry_run)
    if plan is None:
        return
    from zoo.fit.provenance import count_params, save_built
    from zoo.fit.stages import prepare
    from zoo.runs.run import check_out_free, default_run_dir

    out_dir = Path(out) if out else default_run_dir(plan.name)
    check_out_free(out_dir, force)
    built = prepare(plan)
    built.model.summary(print_fn=lambda line, **_: click.echo(line))
    params = count_params(built.model)
    run = save_built(built, out_dir, force, status="built")
    click.echo(f"{params['total']:,} parameters ({params['trainable']:,} trainable)")
    if built.initial_weights is not None:
        click.echo(f"initial weights: {built.initial_weights.summary()}")
    click.echo(f"saved {run.path}")


@cli.command()
@_recipe_options
@click.option(
    "-v", "--verbose", "verbosity", flag_value=1, help="Keras's progress bar, even when the output is not a terminal."
)
@click.option("-q", "--quiet", "verbosity", flag_value=0, help="Print only the final metrics and the run.")
@click.pass_context
def train(
    ctx: click.Context,
    name: str | None,
    config_files: tuple[str, ...],
    overrides: tuple[str, ...],
    out: str | None,
    force: bool,
    dry_run: bool,
    verbosity: int | None,
) -> None:
    """Build, train every stage, evaluate, and save the run (history, metrics, curves, best checkpoint).

    Progress is Keras's bar on a terminal and one line per epoch otherwise (a log file, CI).
    """
    plan = _plan_unless_dry_run(ctx, name, config_files, overrides, dry_run, training=True)
    if plan is None:
        return
    from zoo.fit.training import train_plan

    run = train_plan(plan, out=out, force=force, verbose="auto" if verbosity is None else verbosity)
    if run is None:  # a multi-worker job's worker that is not the chief
        click.echo("done; the chief saved the run")
        return
    for split, scores in run.read_json(layout.METRICS).items():
        click.echo(f"{split}: " + "  ".join(f"{k}={v:.4f}" for k, v in scores.items()))
    if verbosity != 0:
        from zoo.fit.summary import closing_lines

        planned = sum(stage.epochs for stage in plan.train.stages)
        for line in closing_lines(run, planned, plan.train.early_stopping is not None):
            note(line)
    click.echo(f"saved {run.path}")


# -- saved runs -------------------------------------------------------------------------------


class RunsGroup(click.Group):
    """``zoo runs [ROOT...]`` lists runs (its ``list`` command is the default); ``zoo runs compare``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["list", *args]
        return super().parse_args(ctx, args)


@cli.group(cls=RunsGroup)
def runs() -> None:
    """List the runs in ./runs (or the folders given), or compare some (reads JSON only: no TensorFlow).

    \b
    zoo runs                              every run in ./runs, newest first
    zoo runs runs/ other/ --sort test.accuracy --recipe 'imdb-*' --status complete
    zoo runs compare runs/a runs/b        the recipe keys that differ, and the metrics
    """


def _figure(value: Any) -> str:
    return "-" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


@runs.command("list")
@click.argument("roots", nargs=-1, type=click.Path(file_okay=False))
@click.option("--sort", "sort_key", metavar="KEY", help="SPLIT.METRIC (best first), or name, status, fit_s, created.")
@click.option("--recipe", metavar="PATTERN", help="Only runs of recipes matching this (fnmatch) pattern.")
@click.option("--status", help="Only runs of this status (complete, failed, interrupted, killed, training, built).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def runs_list(
    roots: tuple[str, ...], sort_key: str | None, recipe: str | None, status: str | None, as_json: bool
) -> None:
    """One row per run: recipe@version, status, backend, epochs (best), the headline metric per split."""
    from zoo.runs.listing import list_runs

    found = list_runs(roots or (os.environ.get(RUNS_DIR_ENV, "runs"),), recipe=recipe, status=status, sort=sort_key)
    if as_json:
        click.echo(json.dumps([row.to_dict() for row in found], indent=2))
        return
    splits = list(dict.fromkeys(split for row in found for split in row.metrics))
    header = ("RUN", "RECIPE", "STATUS", "BACKEND", "EPOCHS", *(s.upper() for s in splits), "FIT", "CREATED")
    table = [header]
    for row in found:
        metric = row.headline or "loss"
        scores = [
            f"{metric}={_figure(row.metrics.get(s, {}).get(metric))}" if s in row.metrics else "-" for s in splits
        ]
        epochs = "-" if row.epochs is None else f"{row.epochs}" + (f" ({row.best_epoch})" if row.best_epoch else "")
        fit = "-" if row.fit_s is None else f"{row.fit_s:.0f} s"
        version = f"@{row.version}" if row.version else ""
        created = (row.created or "-")[:16].replace("T", " ")
        table.append(
            (row.name, f"{row.recipe}{version}", row.status, row.backend or "-", epochs, *scores, fit, created)
        )
    click.echo(_table(table) if found else f"no runs in {', '.join(roots) or 'runs'}")


@runs.command("compare")
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(file_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def runs_compare(run_dirs: tuple[str, ...], as_json: bool) -> None:
    """The resolved recipes side by side (only the keys that differ), then every metric, with each
    run's difference from the first."""
    from zoo.runs.listing import compare, find_runs

    paths = find_runs(run_dirs)
    if len(paths) < 2:
        raise ZooError("give two or more run folders to compare")
    differing, metrics = compare(paths)
    if as_json:
        click.echo(json.dumps({"runs": [str(p) for p in paths], "recipe": differing, "metrics": metrics}, indent=2))
        return
    names = [p.name for p in paths]
    table: list[tuple[str, ...]] = [("RECIPE KEY", *names)]
    table += [(key, *("-" if v is None else str(v) for v in values)) for key, values in differing.items()]
    click.echo(_table(table) if differing else "the resolved recipes are the same")
    click.echo("")
    rows: list[tuple[str, ...]] = [("METRIC", *names)]
    for key, values in metrics.items():
        first = values[0]
        cells = [_figure(values[0])] + [
            _figure(v) + ("" if v is None or first is None else f" ({v - first:+.4f})") for v in values[1:]
        ]
        rows.append((key, *cells))
    click.echo(_table(rows))


_checkpoint_option = click.option(
    "--checkpoint",
    type=click.Choice(list(layout.CHECKPOINTS)),
    default="final",
    show_default=True,
    help="The run's final model, or its best checkpoint by train.monitor (for a run that did not finish).",
)


@cli.command()
@click.argument("run_dir", metavar="RUN", type=click.Path(file_okay=False))
@click.option("--split", "splits", multiple=True, help="Splits to evaluate (default: validation and test).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_checkpoint_option
@pass_registry
def evaluate(registry: Registry, run_dir: str, splits: tuple[str, ...], as_json: bool, checkpoint: str) -> None:
    """Evaluate a saved run on its recipe's data."""
    from zoo.fit.training import evaluate_run
    from zoo.runs.saved import load_run

    saved = load_run(run_dir, registry, layout.CHECKPOINTS[checkpoint])
    results = evaluate_run(saved, splits or ("validation", "test"), required=bool(splits))
    if as_json:
        click.echo(json.dumps(results, indent=2))
        return
    for split, scores in results.items():
        click.echo(f"{split}: " + "  ".join(f"{k}={v:.4f}" for k, v in scores.items()))


def _read_inputs(values: tuple[str, ...], input_file: str | None) -> Any:
    if input_file:
        path = Path(input_file)
        if path.suffix == ".npy":
            import numpy as np

            return np.load(path, allow_pickle=False)
        from zoo.recipes.yamlfile import load_yaml

        return load_yaml(path)  # JSON is YAML
    if not values:
        raise ZooError(
            "give inputs as arguments (a list or mapping in YAML, e.g. '[1, 31]', or plain text) or --input FILE"
        )
    try:  # only collections are YAML: free text such as "dull: avoid it" or "yes" stays text
        parsed = [yaml.safe_load(v) if v.lstrip()[:1] in ("[", "{") else v for v in values]
    except yaml.YAMLError as exc:
        raise ZooError(f"cannot parse the inputs as YAML: {exc}") from None
    return (
        parsed[0]
        if len(parsed) == 1 and isinstance(parsed[0], list) and parsed[0] and isinstance(parsed[0][0], list)
        else parsed
    )


@cli.command()
@click.argument("run_dir", metavar="RUN", type=click.Path(file_okay=False))
@click.argument("values", nargs=-1)
@click.option(
    "--input",
    "input_file",
    type=click.Path(dir_okay=False, exists=True),
    help="Inputs from a .json, .yaml or .npy file.",
)
@_checkpoint_option
@pass_registry
def predict(registry: Registry, run_dir: str, values: tuple[str, ...], input_file: str | None, checkpoint: str) -> None:
    """Predict with a saved run. Inputs are in the dataset's own terms (for ratings: [user_id, item_id]
    pairs, for text: the text); one JSON line per input."""
    from zoo.runs.saved import load_run

    raw = _read_inputs(values, input_file)
    predictions = load_run(run_dir, registry, layout.CHECKPOINTS[checkpoint]).predict(raw)
    inputs = raw if isinstance(raw, list) else [None] * len(predictions)
    for given, prediction in zip(inputs, predictions):
        click.echo(json.dumps({"input": given, "prediction": prediction}))


@cli.command()
@click.argument("run_dir", metavar="RUN", type=click.Path(file_okay=False))
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(["saved-model", "onnx", "litert"]),
    help="The format (repeat for several; default saved-model).",
)
@click.option("--out", type=click.Path(), help="Where to write it (default RUN/export/FORMAT; one format only).")
@click.option("--force", is_flag=True, help="Replace an earlier export at the same place.")
@_checkpoint_option
@pass_registry
def export(
    registry: Registry, run_dir: str, formats: tuple[str, ...], out: str | None, force: bool, checkpoint: str
) -> None:
    """Export a run's model (SavedModel, ONNX, LiteRT), then load the export with its own runtime and
    check its outputs against Keras on the run's validation data; an export that disagrees is refused."""
    from zoo.deploy.export import FORMATS, default_out, export_run, verification_batch
    from zoo.runs.saved import load_run

    formats = formats or ("saved-model",)
    if out and len(formats) > 1:
        raise ZooError("--out names one folder: give one --format with it, or leave --out out")
    for fmt in formats:
        FORMATS[fmt].check_installed()
    saved = load_run(run_dir, registry, layout.CHECKPOINTS[checkpoint])
    split, batch = verification_batch(saved)
    for fmt in formats:
        target = Path(out) if out else default_out(saved.run.path, fmt, checkpoint)
        done = export_run(saved, fmt, target, checkpoint=checkpoint, force=force, batch=(split, batch))
        click.echo(done.summary())


@cli.command()
@click.argument("run_dir", metavar="RUN", type=click.Path(file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on (localhost by default).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--name", help="The model's name in the URLs (default: the run's recipe name).")
@click.option("--max-batch-size", default=32, show_default=True, type=click.IntRange(1), help="1 turns batching off.")
@click.option(
    "--max-wait-ms",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0),
    help="How long a batch waits for more requests (0: it takes those that arrived while the last one ran).",
)
@click.option("--max-body-mb", default=10.0, show_default=True, type=click.FloatRange(0, min_open=True))
@click.option("--api-key", envvar="ZOO_API_KEY", help="Refuse requests without this key (or set ZOO_API_KEY).")
@_checkpoint_option
@pass_registry
def serve(
    registry: Registry,
    run_dir: str,
    host: str,
    port: int,
    name: str | None,
    max_batch_size: int,
    max_wait_ms: float,
    max_body_mb: float,
    api_key: str | None,
    checkpoint: str,
) -> None:
    """Serve a run's model over HTTP: TensorFlow Serving's REST API (POST /v1/models/NAME:predict with
    {"instances": [...]}, in the inputs `zoo predict` takes), and a page at / to try it."""
    from zoo.deploy.serve import ServeOptions, check_port_free, require_serve_extra
    from zoo.deploy.serve import serve as run_server
    from zoo.runs.saved import load_run

    require_serve_extra()
    check_port_free(host, port)  # before the model loads
    saved = load_run(run_dir, registry, layout.CHECKPOINTS[checkpoint])
    options = ServeOptions(
        name=name or str(saved.plan.name),
        max_batch_size=max_batch_size,
        max_wait_ms=max_wait_ms,
        max_body_bytes=int(max_body_mb * 2**20),
        api_key=api_key or None,
    )
    run_server(saved, options, host, port)


def _one_line_deprecations() -> None:
    """A recipe in an old spelling gets one line on stderr, not Python's two-line warning."""
    show = warnings.showwarning

    def showwarning(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, RecipeDeprecationWarning):
            click.echo(f"zoo: deprecated: {message}", err=True)
        else:
            show(message, category, *args, **kwargs)

    warnings.showwarning = showwarning


def main() -> None:
    if "--debug" in sys.argv[1:]:  # --debug shows everything: TensorFlow's native logs, plugin tracebacks
        os.environ[DEBUG_ENV] = "1"
    else:
        quiet_native_logs()
    _one_line_deprecations()
    cli(prog_name="zoo")


if __name__ == "__main__":
    main()

"""``zoo serve``: one run's model over HTTP, in TensorFlow Serving's REST shape, with a page to try it.

Endpoints (``NAME`` is the run's recipe name unless ``--name`` says otherwise)::

    POST /v1/models/NAME:predict   {"instances": [...]} -> {"predictions": [...]}  (TF Serving's REST API)
    GET  /v1/models/NAME           the model's status, as TF Serving reports it
    GET  /v1/models/NAME/metadata  recipe, figures, versions, what an instance is, example instances
    GET  /v1/models/NAME/curves.png the run's learning curves
    GET  /healthz                  {"status": "ok"} once the model is loaded
    GET  /                         the model card and a form to try the model

Instances are what ``zoo predict`` takes (``[user_id, item_id]``, a review's text, a prime for the
char-LSTM); for a dataset of files (images) each instance is the file's bytes as TF Serving writes
binary data, ``{"b64": "..."}``, and never a path on the server. They go through the dataset spec's
``encode_inputs`` and ``decode_outputs``, as on the command line. Every bad request is a 4xx whose
``error`` is the one line the CLI would print; the server answers the next request as before.

Starlette and uvicorn (``pip install 'keras-zoo[serve]'``): a small, well-kept ASGI framework
and its reference server; the model runs in one thread of its own (``batching.py``).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import gc
import hmac
import json
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from zoo._version import __version__
from zoo.deploy.batching import Batcher, Inputs, count
from zoo.errors import MissingExtraError, ZooError
from zoo.runs import layout

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

    from zoo.runs.saved import SavedRun

logger = logging.getLogger("zoo.serve")


@dataclass
class ServeOptions:
    name: str
    max_batch_size: int = 32
    max_wait_ms: float = 0.0
    max_body_bytes: int = 10 * 2**20
    api_key: str | None = None


def require_serve_extra() -> None:
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise MissingExtraError("zoo serve needs starlette and uvicorn: pip install 'keras-zoo[serve]'") from None


class BadRequest(ZooError):
    """A request the server refuses with a 4xx and one line."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class ModelService:
    """The loaded run: turns instances into predictions through the spec and the batcher."""

    def __init__(self, saved: SavedRun, options: ServeOptions) -> None:
        self.saved = saved
        self.options = options
        self.model = saved.model
        self.batcher = Batcher(self._predict_batch, options.max_batch_size, options.max_wait_ms / 1000)

    def _predict_batch(self, inputs: Inputs) -> np.ndarray:
        return np.asarray(self.model.predict_on_batch(inputs))

    def warm_up(self) -> None:
        """Trace the model for every batch size the batcher pads to, before the first request waits on it."""
        try:
            example = self.saved.spec.example_inputs(1)
        except NotImplementedError:
            return
        size = 1
        while True:
            self._predict_batch(_repeat(self.encode_checked(example), size))
            if size >= self.options.max_batch_size:
                break
            size = min(size * 2, self.options.max_batch_size)

    def encode(self, instances: list[Any]) -> Inputs:
        """The request's instances as model inputs, checked against the model's input shapes."""
        if self.saved.spec.input_files:
            instances = [_file_bytes(i, n) for n, i in enumerate(instances, 1)]
        try:
            encoded = self.saved.spec.encode_inputs(instances)
        except ZooError as exc:
            raise BadRequest(str(exc)) from None
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise BadRequest(f"the instances cannot be encoded for this model: {_first_line(exc)}") from None
        return self.encode_checked(encoded, len(instances))

    def encode_checked(self, encoded: Any, expected: int | None = None) -> Inputs:
        names = [t.name for t in self.model.inputs]
        if isinstance(encoded, dict):
            if sorted(encoded) != sorted(names):
                raise BadRequest(f"the instances encode to inputs {sorted(encoded)}; the model takes {sorted(names)}")
            arrays = {t.name: _conform(encoded[t.name], t) for t in self.model.inputs}
            result: Inputs = arrays
        else:
            if len(names) != 1:
                raise BadRequest(f"the model takes {len(names)} inputs ({', '.join(names)}); the instances gave one")
            result = _conform(encoded, self.model.inputs[0])
        if expected is not None and count(result) != expected:
            raise BadRequest(
                f"{expected} instances encoded to {count(result)} model inputs; give one input per instance"
            )
        return result

    async def predict(self, instances: list[Any]) -> list[Any]:
        from starlette.concurrency import run_in_threadpool

        # Images are decoded off the event loop; values (ids, short texts) are cheaper than the thread hop.
        inputs = (
            await run_in_threadpool(self.encode, instances) if self.saved.spec.input_files else self.encode(instances)
        )
        outputs = await self.batcher.predict_inputs(inputs)
        return _jsonable(self.saved.spec.decode_outputs(outputs))

    def metadata(self) -> dict[str, Any]:
        run = self.saved.run
        meta = _read_json(run.path / layout.META)
        spec = self.saved.spec
        try:
            examples = None if spec.input_files else _jsonable(spec.example_raw_inputs(2))
        except NotImplementedError:
            examples = None
        recipe = run.read_recipe()
        return {
            "name": self.options.name,
            "recipe": {"name": recipe.get("name"), "version": recipe.get("version"), "summary": recipe.get("summary")},
            "metrics": _read_json(run.path / layout.METRICS),
            "status": meta.get("status"),
            "best": meta.get("best"),
            "versions": {**meta.get("versions", {}), "served_by": f"keras-zoo {__version__}"},
            "task": spec.task,
            "classes": getattr(spec, "classes", None),
            "input_files": spec.input_files,
            "example_instances": examples,
            "inputs": [{"name": t.name, "shape": list(t.shape), "dtype": str(t.dtype)} for t in self.model.inputs],
            "batching": {
                "max_batch_size": self.options.max_batch_size,
                "max_wait_ms": self.options.max_wait_ms,
                **vars(self.batcher.stats),
            },
            "has_curves": (run.path / layout.CURVES).is_file(),
        }


def _repeat(inputs: Inputs, n: int) -> Inputs:
    if isinstance(inputs, dict):
        return {k: np.repeat(v[:1], n, axis=0) for k, v in inputs.items()}
    return np.repeat(inputs[:1], n, axis=0)


def _conform(array: Any, tensor: Any) -> np.ndarray:
    """``array`` as the model input ``tensor`` takes it (dtype, rank, fixed sizes), or a 400 saying how it differs."""
    try:
        array = np.asarray(array, dtype=str(tensor.dtype))
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"input {tensor.name!r} must be {tensor.dtype}: {_first_line(exc)}") from None
    expected = tuple(tensor.shape)
    if array.ndim != len(expected) or any(e is not None and e != a for e, a in zip(expected[1:], array.shape[1:])):
        shape = "x".join("N" if e is None else str(e) for e in expected)
        raise BadRequest(f"input {tensor.name!r} must be shaped {shape}; the instances gave {array.shape}")
    return array


def _file_bytes(instance: Any, n: int) -> bytes:
    if isinstance(instance, dict) and set(instance) == {"b64"} and isinstance(instance["b64"], str):
        try:
            return base64.b64decode(instance["b64"], validate=True)
        except binascii.Error:
            raise BadRequest(f"instance {n}: b64 is not base64") from None
    raise BadRequest(
        f'instance {n}: send each file as {{"b64": "<the file\'s bytes in base64>"}} '
        "(the server never reads its own paths)"
    )


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


def _read_json(path: os.PathLike[str]) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


# -- the application -----------------------------------------------------------------------------


def create_app(service: ModelService) -> Starlette:
    """The ASGI application for ``service``; uvicorn (``zoo serve``) or any ASGI server runs it."""
    from starlette.applications import Starlette
    from starlette.responses import FileResponse, HTMLResponse, JSONResponse
    from starlette.routing import Route

    name = service.options.name
    page = resources.files("zoo.deploy").joinpath("page.html").read_text(encoding="utf-8")

    def error(message: str, status: int) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    async def model_route(request: Request) -> Response:
        target = request.path_params["target"]
        if request.method == "POST":
            model, _, verb = target.rpartition(":")
            if verb != "predict" or model != name:
                return error(f"no such endpoint; POST /v1/models/{name}:predict", 404)
            return await predict(request)
        if target != name:
            return error(f"no model {target!r}; this server serves {name!r}", 404)
        return JSONResponse(
            {"model_version_status": [{"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK"}}]}
        )

    async def predict(request: Request) -> Response:
        try:
            body = await _read_body(request, service.options.max_body_bytes)
            try:
                payload = json.loads(body)
            except (ValueError, UnicodeDecodeError) as exc:
                raise BadRequest(f"the body is not JSON: {_first_line(exc)}") from None
            instances = payload.get("instances") if isinstance(payload, dict) else None
            if not isinstance(instances, list) or not instances:
                raise BadRequest('give {"instances": [...]}: a non-empty list of inputs, as `zoo predict` takes them')
            return JSONResponse({"predictions": await service.predict(instances)})
        except BadRequest as exc:
            return error(str(exc), exc.status)
        except ZooError as exc:  # a spec's own one-line refusal, raised while decoding
            return error(str(exc), 400)
        except Exception as exc:  # a bug, in the model or a plugin: a 500 that says so, and the server goes on
            logger.exception("prediction failed")
            return error(f"the model failed on this request: {_first_line(exc)}", 500)

    async def metadata(request: Request) -> Response:
        if request.path_params["model"] != name:
            return error(f"no model {request.path_params['model']!r}; this server serves {name!r}", 404)
        return JSONResponse(service.metadata())

    async def curves(request: Request) -> Response:
        path = service.saved.run.path / layout.CURVES
        if request.path_params["model"] != name or not path.is_file():
            return error("no learning curves for this model", 404)
        return FileResponse(path, media_type="image/png")

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "model": name})

    async def index(request: Request) -> Response:
        return HTMLResponse(page.replace("__MODEL_NAME__", json.dumps(name)))

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/healthz", health),
            Route("/v1/models/{model}/metadata", metadata),
            Route("/v1/models/{model}/curves.png", curves),
            Route("/v1/models/{target}", model_route, methods=["GET", "POST"]),
        ],
        lifespan=_lifespan(service),
    )
    if service.options.api_key:
        app.add_middleware(_ApiKey, key=service.options.api_key)
    return app


def _lifespan(service: ModelService) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        await service.batcher.start()
        try:
            yield
        finally:
            await service.batcher.stop()

    return lifespan


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BadRequest(f"the body is over the limit of {limit:,} bytes (--max-body-mb)", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest(f"the body is over the limit of {limit:,} bytes (--max-body-mb)", 413)
        chunks.append(chunk)
    return b"".join(chunks)


class _ApiKey:
    """Every request without the key (``Authorization: Bearer KEY``, ``X-API-Key: KEY``, or ``?key=KEY``
    for the page and its links) is a 401."""

    def __init__(self, app: Any, key: str) -> None:
        self.app = app
        self.key = key.encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not self._allowed(scope):
            from starlette.responses import JSONResponse

            response = JSONResponse(
                {"error": "this server needs an API key: send 'Authorization: Bearer KEY' (or X-API-Key, or ?key=)"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Any) -> bool:
        from urllib.parse import parse_qs

        headers = dict(scope.get("headers") or [])
        given = [
            headers.get(b"x-api-key", b""),
            headers.get(b"authorization", b"").removeprefix(b"Bearer ").strip(),
            *(v.encode() for v in parse_qs(scope.get("query_string", b"").decode()).get("key", [])),
        ]
        return any(g and hmac.compare_digest(g, self.key) for g in given)


def check_port_free(host: str, port: int) -> None:
    """One line now, rather than uvicorn's log line after the model has loaded."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise ZooError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port or --host"
        ) from None


def serve(saved: SavedRun, options: ServeOptions, host: str, port: int) -> None:
    """Load, warm up and serve until Ctrl-C."""
    import uvicorn

    from zoo.console import note

    check_port_free(host, port)
    service = ModelService(saved, options)
    service.warm_up()
    # Keras and TensorFlow leave millions of long-lived objects: frozen, the collector stops walking
    # them on every full collection (a 200 ms pause in the middle of serving, otherwise).
    gc.collect()
    gc.freeze()
    where = f"http://{host}:{port}"
    note(f"serving {options.name} from {saved.run.path} at {where}/ (POST {where}/v1/models/{options.name}:predict)")
    if host not in ("127.0.0.1", "localhost", "::1"):
        note(f"listening on {host}: reachable from other machines{'' if options.api_key else ', with no --api-key'}")
    uvicorn.run(create_app(service), host=host, port=port, log_level="warning")

"""`zoo serve`: TensorFlow Serving's REST shape in the data's own terms, batching, bad requests as
4xx with one line, the API key, and the page in a real browser (Debian's Chromium)."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import zoo
from zoo.deploy.batching import bucket, pad_to
from zoo.deploy.serve import ModelService, ServeOptions, create_app

NAME = "synthetic-cf-bias"


@pytest.fixture(scope="module")
def cf_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "cf"
    zoo.train(NAME, out=str(out), verbose=0, train={"epochs": 1})
    return out


@pytest.fixture(scope="module")
def image_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "images"
    from click.testing import CliRunner

    from zoo.surfaces.cli import cli

    result = CliRunner().invoke(cli, ["build", "synthetic-images-vgg", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def client(run: Path, **options):
    from starlette.testclient import TestClient

    saved = zoo.load_run(run)
    service = ModelService(saved, ServeOptions(name=saved.plan.name, **options))
    return TestClient(create_app(service)), saved, service


def test_predictions_are_the_in_process_ones_in_tf_servings_shape(cf_run):
    app, saved, _ = client(cf_run)
    pairs = saved.spec.example_raw_inputs(6)
    with app:
        answer = app.post(f"/v1/models/{NAME}:predict", json={"instances": pairs})
        assert answer.status_code == 200
        np.testing.assert_allclose(answer.json()["predictions"], saved.predict(pairs), rtol=1e-6)
        status = app.get(f"/v1/models/{NAME}").json()
        assert status["model_version_status"][0]["state"] == "AVAILABLE"
        meta = app.get(f"/v1/models/{NAME}/metadata").json()
        assert meta["recipe"]["name"] == NAME and "validation" in meta["metrics"]
        assert meta["versions"]["backend"]["name"] and meta["example_instances"] and not meta["input_files"]
        assert app.get("/healthz").json() == {"status": "ok", "model": NAME}
        assert app.get(f"/v1/models/{NAME}/curves.png").headers["content-type"] == "image/png"
        page = app.get("/")
        assert page.status_code == 200 and f'const MODEL = "{NAME}";' in page.text


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b'{"instances": [[1, 5]', 400, "the body is not JSON: Expecting ',' delimiter"),
        (b'{"inputs": [[1, 5]]}', 400, 'give {"instances": [...]}'),
        (b'{"instances": []}', 400, 'give {"instances": [...]}'),
        (b'{"instances": [["never-a-user", 5]]}', 400, "user id 'never-a-user' was never seen in training"),
        (b'{"instances": ["abc"]}', 400, "expected [user_id, item_id] pairs"),
        (b'{"instances": [1, 5]}', 400, "2 instances encoded to 1 model inputs"),
        (b"\xff\xfe", 400, "the body is not JSON"),
        (b"x" * 2_000_000, 413, "the body is over the limit of 1,048,576 bytes (--max-body-mb)"),
    ],
)
def test_bad_requests_get_a_4xx_with_one_line_and_the_server_answers_the_next(cf_run, body, status, message):
    app, saved, _ = client(cf_run, max_body_bytes=2**20)
    with app:
        answer = app.post(f"/v1/models/{NAME}:predict", content=body)
        assert answer.status_code == status
        error = answer.json()["error"]
        assert message in error and "\n" not in error and "Traceback" not in error
        good = app.post(f"/v1/models/{NAME}:predict", json={"instances": [saved.spec.example_raw_inputs(1)[0]]})
        assert good.status_code == 200


def test_a_failing_model_is_a_500_with_one_line_and_the_server_goes_on(cf_run, monkeypatch):
    app, saved, service = client(cf_run)
    predict = service._predict_batch
    calls = iter([RuntimeError("out of memory\nin a kernel"), None])

    def fails_once(inputs):
        failure = next(calls)
        if failure:
            raise failure
        return predict(inputs)

    monkeypatch.setattr(service.batcher, "predict", fails_once)
    pairs = saved.spec.example_raw_inputs(1)
    with app:
        answer = app.post(f"/v1/models/{NAME}:predict", json={"instances": pairs})
        assert answer.status_code == 500
        assert answer.json() == {"error": "the model failed on this request: out of memory"}
        assert app.post(f"/v1/models/{NAME}:predict", json={"instances": pairs}).status_code == 200


def test_unknown_models_and_verbs_are_404(cf_run):
    app, _, _ = client(cf_run)
    with app:
        assert app.post("/v1/models/other:predict", json={"instances": [[1, 2]]}).status_code == 404
        assert app.post(f"/v1/models/{NAME}:classify", json={"instances": [[1, 2]]}).status_code == 404
        assert "this server serves" in app.get("/v1/models/other").json()["error"]


def test_an_api_key_makes_every_request_without_it_a_401(cf_run):
    app, _, _ = client(cf_run, api_key="s3cret")
    with app:
        assert app.get("/healthz").status_code == 401
        assert app.get("/").status_code == 401
        assert app.get("/healthz", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert app.get("/healthz", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert app.get("/healthz", headers={"X-API-Key": "s3cret"}).status_code == 200
        assert app.get("/?key=s3cret").status_code == 200


def test_concurrent_requests_are_batched_and_each_gets_its_own_answer(cf_run):
    app, saved, service = client(cf_run, max_batch_size=32, max_wait_ms=20)
    pairs = saved.spec.example_raw_inputs(48, seed=3)
    expected = saved.predict(pairs)
    with app, ThreadPoolExecutor(16) as pool:
        answers = list(
            pool.map(lambda p: app.post(f"/v1/models/{NAME}:predict", json={"instances": [p]}).json(), pairs)
        )
    np.testing.assert_allclose([a["predictions"][0] for a in answers], expected, rtol=1e-6)
    assert service.batcher.stats.examples == 48
    assert service.batcher.stats.batches < 48 and service.batcher.stats.largest > 1


def test_batches_are_padded_to_a_few_sizes():
    assert [bucket(n, 32) for n in (1, 2, 3, 5, 17, 32, 40)] == [1, 2, 4, 8, 32, 32, 40]
    padded = pad_to({"a": np.array([1, 2, 3])}, 4)
    assert padded["a"].tolist() == [1, 2, 3, 3]


def _png(size=(40, 30)) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_images_are_sent_as_b64_bytes_and_never_as_server_paths(image_run, tmp_path):
    app, saved, _ = client(image_run)
    name = saved.plan.name
    with app:
        answer = app.post(f"/v1/models/{name}:predict", json={"instances": [{"b64": _png()}, {"b64": _png((8, 8))}]})
        assert answer.status_code == 200, answer.text
        labels = {p["label"] for p in answer.json()["predictions"]}
        assert labels <= set(saved.spec.classes)
        meta = app.get(f"/v1/models/{name}/metadata").json()
        assert meta["input_files"] and meta["example_instances"] is None
        secret = tmp_path / "secret.png"
        secret.write_bytes(base64.b64decode(_png()))
        refused = app.post(f"/v1/models/{name}:predict", json={"instances": [str(secret)]})
        assert refused.status_code == 400 and "the server never reads its own paths" in refused.json()["error"]
        not_image = base64.b64encode(b"plain text").decode()
        refused = app.post(f"/v1/models/{name}:predict", json={"instances": [{"b64": not_image}]})
        error = refused.json()["error"]
        assert refused.status_code == 400 and error.startswith("image 1: not an image file that can be read")
        assert "BytesIO" not in error
        assert app.post(f"/v1/models/{name}:predict", json={"instances": [{"b64": "@@"}]}).json() == {
            "error": "instance 1: b64 is not base64"
        }


def test_serve_without_its_extra_is_one_line(cf_run, run_cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    result = run_cli("serve", str(cf_run), code=1)
    assert result.stderr == "Error: zoo serve needs starlette and uvicorn: pip install 'keras-zoo[serve]'\n"


# -- a real server on loopback, and its page in Debian's Chromium ---------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(cf_run):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "zoo.surfaces.cli", "serve", str(cf_run), "--port", str(port), "--api-key", "k3y"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ZOO_API_KEY": ""},
    )
    import httpx2 as httpx

    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"zoo serve exited: {process.stdout.read().decode() if process.stdout else ''}")
        try:
            if httpx.get(f"{url}/healthz", headers={"X-API-Key": "k3y"}).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.5)
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.mark.slow
def test_a_real_server_on_loopback_answers_and_stays_up(server, cf_run):
    import httpx2 as httpx

    saved = zoo.load_run(cf_run)
    pairs = saved.spec.example_raw_inputs(3)
    headers = {"Authorization": "Bearer k3y"}
    assert httpx.post(f"{server}/v1/models/{NAME}:predict", content=b"{", headers=headers).status_code == 400
    assert httpx.post(f"{server}/v1/models/{NAME}:predict", json={"instances": pairs}).status_code == 401
    answer = httpx.post(f"{server}/v1/models/{NAME}:predict", json={"instances": pairs}, headers=headers)
    np.testing.assert_allclose(answer.json()["predictions"], saved.predict(pairs), rtol=1e-6)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(
    not CHROMIUM and not os.environ.get("CI"), reason="needs Debian's chromium (apt-get install chromium); CI has it"
)
def test_the_page_shows_the_model_card_and_predicts_in_chromium(server, cf_run):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "CI installs Debian's chromium (.ci/run)"
    saved = zoo.load_run(cf_run)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        try:
            page = browser.new_page()
            page.goto(f"{server}/?key=k3y")
            page.wait_for_selector("body[data-ready='1']", timeout=20_000)
            assert page.inner_text("#title") == f"{NAME}@{saved.plan.version}"
            assert "mse" in page.inner_text("#card")
            assert page.eval_on_selector("img", "img => img.complete && img.naturalWidth > 0")
            page.fill("#instances", json.dumps(saved.spec.example_raw_inputs(1)))
            page.click("#predict")
            page.wait_for_function("document.getElementById('result').textContent.includes('→')", timeout=20_000)
            shown = float(page.inner_text("#result").split("→")[1])
            assert shown == pytest.approx(saved.predict(saved.spec.example_raw_inputs(1))[0], rel=1e-6)
            page.fill("#instances", '[["nobody", 1]]')
            page.click("#predict")
            page.wait_for_selector("#result.error", timeout=20_000)
            assert "user id 'nobody' was never seen in training" in page.inner_text("#result")
        finally:
            browser.close()


def test_a_port_in_use_is_one_line_before_the_model_loads(cf_run, run_cli):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        error = run_cli("serve", str(cf_run), "--port", str(port), code=1).stderr
    assert error.startswith(f"Error: cannot listen on 127.0.0.1:{port}: ") and "choose another --port" in error

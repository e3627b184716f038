"""Images over HTTP and the CLI: the design engine end to end, exact sizes,
repeatable bytes, re-rendering an edited spec, jobs, and bad input."""

from __future__ import annotations

import base64
import io

import httpx
import pytest
from click.testing import CliRunner
from PIL import Image

from zaowu.cli.main import cli

from .helpers import same_picture, wait_jobs

SPEC = {
    "kind": "poster",
    "headline": "春季新品上市",
    "subline": "全场八折 · 仅限本周",
    "call_to_action": "立即选购",
    "brand": "山间茶舍",
    "language": "zh",
}


def post(server, **body):
    return httpx.post(f"{server.base_url}/v1/images/generations", json=body, timeout=300)


def test_spec_renders_at_exact_sizes_and_same_seed_gives_same_bytes(server):
    for size, expected in (("1024x1024", (1024, 1024)), ("512x768", (512, 768)), ("16:9", None)):
        r = post(server, prompt="tea shop spring poster", spec=SPEC, size=size, seed=4, response_format="b64_json")
        assert r.status_code == 200, r.text
        item = r.json()["data"][0]
        img = Image.open(io.BytesIO(base64.b64decode(item["b64_json"])))
        if expected:
            assert img.size == expected
        else:
            assert abs(img.size[0] / img.size[1] - 16 / 9) < 0.01
        again = httpx.get(server.base_url + item["url"]).content
        assert again == base64.b64decode(item["b64_json"])
    a = post(server, prompt="p", spec=SPEC, seed=9, response_format="b64_json").json()["data"][0]["b64_json"]
    b = post(server, prompt="p", spec=SPEC, seed=9, response_format="b64_json").json()["data"][0]["b64_json"]
    c = post(server, prompt="p", spec=SPEC, seed=10, response_format="b64_json").json()["data"][0]["b64_json"]
    a, b, c = (base64.b64decode(x) for x in (a, b, c))
    assert same_picture(a, b) and not same_picture(a, c)  # same picture; each its own labels and watermark


def test_edited_spec_rerenders_the_same_design_with_new_text(server):
    first = post(server, prompt="p", spec=SPEC, seed=3).json()["data"][0]
    spec = dict(first["spec"], headline="夏季新品上市")
    second = post(server, prompt="p", spec=spec, seed=3).json()["data"][0]
    assert second["spec"]["headline"] == "夏季新品上市"
    same = {k: v for k, v in second["spec"].items() if k != "headline"}
    assert same == {k: v for k, v in first["spec"].items() if k != "headline"}  # palette, layout, fonts kept


def test_prompt_to_design_with_the_llm_and_variants(server):
    r = post(
        server,
        prompt="A poster for the grand opening of Bean There coffee shop",
        kind="poster",
        n=2,
        seed=1,
        format="webp",
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert len(data) == 2 and data[0]["spec"]["headline"]
    images = [httpx.get(server.base_url + d["url"]) for d in data]
    assert all(i.headers["content-type"] == "image/webp" for i in images)
    assert images[0].content != images[1].content


def test_svg_is_vector(server):
    r = post(server, prompt="logo", spec={"kind": "logo", "headline": "Bean There"}, size="logo", format="svg")
    svg = httpx.get(server.base_url + r.json()["data"][0]["url"])
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content[:200]


@pytest.mark.parametrize(
    "body, param",
    [
        ({"prompt": "x", "size": "7:5"}, "size"),
        ({"prompt": "x", "n": 0}, "n"),
        ({"prompt": "x", "n": 100}, "n"),
        ({"prompt": ""}, "prompt"),
        ({"prompt": "x", "kind": "flyer"}, "kind"),
        ({"prompt": "x", "format": "bmp"}, "format"),
    ],
)
def test_bad_image_requests_are_400(server, body, param):
    r = post(server, **body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param


def test_image_job_and_cli(server, settings):
    job = wait_jobs(server.base_url, [post(server, prompt="p", spec=SPEC, seed=2, **{"async": True}).json()["id"]])[0]
    assert job["state"] == "succeeded" and job["result"]["media"][0]["mime"] == "image/png"
    out = settings.data_dir / "logo.png"
    env = {
        "ZAOWU_DATA_DIR": str(settings.data_dir),
        "ZAOWU_MODELS_DIR": str(settings.models_dir),
        "ZAOWU_DEFAULT_CHAT_MODEL": "smollm2-135m-instruct",
    }
    r = CliRunner().invoke(
        cli, ["image", "Bean There coffee", "-k", "logo", "-s", "logo", "--seed", "3", "-o", str(out)], env=env
    )
    assert r.exit_code == 0, r.output
    assert Image.open(out).size[0] == Image.open(out).size[1]
    r = CliRunner().invoke(cli, ["image", "x", "-s", "7:5", "-o", str(out)], env=env)
    assert r.exit_code == 1 and "Unknown size '7:5'" in r.output

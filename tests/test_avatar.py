"""Designed avatars (model ``avatar``): a drawn host from a description, which the presenter animates.

Every look the avatar model can draw is read by mediapipe's face mesh like a photo (the presenter's own
portrait check, ``read_portrait``); descriptions in Chinese and English set what they name; the images API
draws the same avatar for the same description and seed; and a presenter clip asked for with
``presenter.avatar`` (no photo) renders on a real ``zaowu serve`` with the mouth following the speech.
"""

from __future__ import annotations

import io
import itertools
import warnings

import httpx
import numpy as np
import pytest

from .helpers import job_request, same_picture, wait_jobs

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")

av = pytest.importorskip("av")
cv2 = pytest.importorskip("cv2")
pytest.importorskip("mediapipe")


def _png(rgb) -> bytes:
    ok, data = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    return data.tobytes()


def test_every_look_is_a_face_the_presenter_can_animate():
    """Each skin tone with each hair style (both figures, with and without glasses, several outfits and
    colours by seed) passes the presenter's portrait check: one face, landmarks inside the picture."""
    from zaowu.backends.design.avatar import SKIN, AvatarSpec, draw_avatar, resolve_avatar
    from zaowu.backends.presenter.face import read_portrait

    styles = ("short", "crop", "long", "bob", "bun")
    failed = []
    for i, (skin, hair) in enumerate(itertools.product(SKIN, styles)):
        spec = resolve_avatar(
            AvatarSpec(skin=skin, hair=hair, figure=("feminine", "masculine")[i % 2], glasses=i % 3 == 0), i
        )
        try:
            portrait = read_portrait(_png(draw_avatar(spec, 640, 640)), matte=False)
        except Exception as exc:  # noqa: BLE001 - collect every look that fails, then report them together
            failed.append((spec.model_dump(), str(exc)))
            continue
        assert portrait.faces == 1 and portrait.box[2] > 150, (spec, portrait.box)
    assert not failed, failed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "短发男主播，藏青色西装，戴眼镜",
            {"figure": "masculine", "hair": "short", "outfit": "suit", "outfit_colour": "navy", "glasses": True},
        ),
        (
            "黑色长发的女老师，白色衬衫",
            {"figure": "feminine", "hair": "long", "hair_colour": "black", "outfit": "shirt", "outfit_colour": "white"},
        ),
        (
            "丸子头，金发，粉色毛衣，皮肤白皙",
            {"hair": "bun", "hair_colour": "blonde", "outfit": "sweater", "outfit_colour": "pink", "skin": "light"},
        ),
        (
            "a friendly woman with a grey bob and blue eyes, burgundy sweater",
            {"figure": "feminine", "hair": "bob", "eyes": "blue", "outfit": "sweater", "outfit_colour": "burgundy"},
        ),
        (
            "man, short brown hair, tanned, no glasses, black blazer",
            {
                "figure": "masculine",
                "hair": "short",
                "hair_colour": "brown",
                "skin": "tan",
                "glasses": False,
                "outfit": "suit",
                "outfit_colour": "black",
            },
        ),
    ],
)
def test_a_description_sets_what_it_names(text, expected):
    from zaowu.backends.design.avatar import avatar_from_prompt, resolve_avatar

    spec, named = avatar_from_prompt(text)
    got = spec.model_dump(exclude_none=True)
    assert {k: got.get(k) for k in expected} == expected, got
    assert set(expected) <= set(named)
    # what the description names survives resolving; the seed fills the rest
    for seed in (0, 1, 2):
        resolved = resolve_avatar(spec, seed).model_dump()
        assert {k: resolved[k] for k in expected} == expected
        assert None not in resolved.values()


def test_the_fields_given_win_over_the_description_and_bad_fields_are_400s():
    from zaowu.backends.design.avatar import avatar_from_prompt
    from zaowu.errors import InvalidRequest

    spec, named = avatar_from_prompt("long black hair, red shirt", {"hair": "bob", "outfit_colour": "teal"})
    assert (spec.hair, spec.outfit_colour, spec.hair_colour) == ("bob", "teal", "black")
    assert "hair" not in named
    with pytest.raises(InvalidRequest) as caught:
        avatar_from_prompt("host", {"hair": "mohawk"})
    assert caught.value.param == "spec.hair" and "bob" in str(caught.value)


def _avatar(server, **body) -> httpx.Response:
    payload = {"model": "avatar", "prompt": "短发女主播，藏青色西装", "seed": 4, "size": "768x768", **body}
    return httpx.post(f"{server.base_url}/v1/images/generations", json=payload, timeout=120)


def _content(server, item) -> bytes:
    return httpx.get(server.base_url + item["url"], timeout=30).content


def test_the_images_api_draws_an_avatar_again_from_its_seed(server):
    first = _avatar(server, n=2)
    assert first.status_code == 200, first.text
    a, b = first.json()["data"]
    assert a["spec"]["hair"] == "short" and a["spec"]["figure"] == "feminine" and a["spec"]["outfit"] == "suit"
    assert a["spec"]["outfit_colour"] == "navy" and a["seed"] == 4 and b["seed"] == 5
    again = _avatar(server).json()["data"][0]
    ca, cb, cagain = _content(server, a), _content(server, b), _content(server, again)
    assert cv2.imdecode(np.frombuffer(ca, np.uint8), cv2.IMREAD_COLOR).shape == (768, 768, 3)
    # the same seed draws the same avatar (each with its own watermark); the next seed differs where the
    # description is silent
    assert same_picture(ca, cagain)
    assert a["spec"] != b["spec"] and not same_picture(ca, cb)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"size": "64x64"}, "size"),
        ({"spec": {"hair": "mohawk"}}, "spec.hair"),
        ({"format": "svg"}, "format"),
        ({"kind": "poster"}, "kind"),
    ],
)
def test_bad_avatar_requests_name_the_field(server, body, param):
    r = _avatar(server, **body)
    assert r.status_code == 400 and r.json()["error"]["param"] == param, r.text


def _mesh_track(data: bytes):
    """Per frame of the MP4: the inner-lip gap over the face height (None without a face), and the audio's
    loudness over the frame."""
    import mediapipe as mp

    mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1)
    mouths, audio = [], []
    with av.open(io.BytesIO(data)) as c:
        rate = c.streams.audio[0].codec_context.sample_rate
        fps = float(c.streams.video[0].average_rate)
        for frame in c.decode(c.streams.video[0]):
            rgb = frame.to_ndarray(format="rgb24")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                found = mesh.process(rgb).multi_face_landmarks
            if not found:
                mouths.append(None)
                continue
            p = found[0].landmark
            mouths.append(abs(p[13].y - p[14].y) / abs(p[10].y - p[152].y))
        c.seek(0)
        for frame in c.decode(c.streams.audio[0]):
            audio.append(frame.to_ndarray().mean(axis=0))
    samples, hop = np.concatenate(audio), rate / fps
    loud = [
        float(np.sqrt(np.mean(samples[int(i * hop) : int((i + 1) * hop)] ** 2) + 1e-12)) for i in range(len(mouths))
    ]
    return mouths, np.array(loud)


def test_a_presenter_clip_with_a_designed_avatar(server):
    """No photo: ``presenter.avatar`` describes the host; the clip renders with a face in every frame and the
    mouth following the speech, the drawn avatar is kept as the caller's image, and it is reported."""
    body = {
        "model": "presenter",
        "prompt": "Welcome to our bakery. Fresh bread comes out of the oven every morning at seven.",
        "size": "360x640",
        "seed": 7,
        "presenter": {"avatar": "a woman with a brown bob, teal sweater", "name": "Lena"},
    }
    r = httpx.post(f"{server.base_url}/v1/videos", json=body, timeout=60)
    assert r.status_code == 200, r.text
    video_id = r.json()["id"]
    (job,) = wait_jobs(server.base_url, [video_id], timeout=600)
    assert job["state"] == "succeeded", job.get("error")
    drawn = [c for c in job["result"].get("checks", []) if c["name"] == "presenter.avatar"]
    assert drawn and "hair" in drawn[0]["detail"] and "outfit" in drawn[0]["detail"], job["result"]
    avatar_id = drawn[0]["artifact_id"]
    picture = httpx.get(f"{server.base_url}/v1/artifacts/{avatar_id}", timeout=30)
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert job_request(server, video_id)["presenter"]["avatar"] == "a woman with a brown bob, teal sweater"
    mp4 = httpx.get(f"{server.base_url}/v1/videos/{video_id}/content", timeout=60).content
    mouths, loud = _mesh_track(mp4)
    assert all(m is not None for m in mouths), [i for i, m in enumerate(mouths) if m is None]
    opening = np.array(mouths)
    assert np.corrcoef(opening, loud)[0, 1] >= 0.5, np.corrcoef(opening, loud)[0, 1]
    assert opening.max() > 2.5 * np.percentile(opening, 10)  # it opens visibly, and closes


@pytest.mark.parametrize(
    ("presenter", "upload", "param"),
    [
        ({"avatar": {"hair": "mohawk"}}, False, "presenter.avatar.hair"),
        ({"avatar": "x" * 301}, False, "presenter.avatar"),
        ({"avatar": "short hair"}, True, "presenter.avatar"),
    ],
)
def test_bad_avatars_are_400s_with_nothing_queued(server, presenter, upload, param):
    before = httpx.get(f"{server.base_url}/v1/videos", timeout=30).json()["data"]
    data = {"model": "presenter", "prompt": "Hello.", "presenter": presenter}
    if upload:
        from zaowu.backends.design.avatar import AvatarSpec, draw_avatar, resolve_avatar

        photo = _png(draw_avatar(resolve_avatar(AvatarSpec(), 1), 512, 512))
        import base64

        data["input_reference"] = "data:image/png;base64," + base64.b64encode(photo).decode()
    r = httpx.post(f"{server.base_url}/v1/videos", json=data, timeout=60)
    assert r.status_code == 400 and r.json()["error"]["param"] == param, r.text
    assert httpx.get(f"{server.base_url}/v1/videos", timeout=30).json()["data"] == before


def test_the_presenter_app_draws_an_avatar_when_there_is_no_photo(server):
    """The app with ``avatar`` (no portrait): a Chinese host drawn and speaking; neither or both is a 400."""
    body = {
        "input": {"avatar": "短发女主播，藏青色西装", "script": "大家好，本周六晚八点直播上新。", "aspect": "1:1"},
        "async": True,
        "seed": 2,
    }
    job = httpx.post(f"{server.base_url}/v1/apps/presenter", json=body, timeout=60).json()
    (done,) = wait_jobs(server.base_url, [job["id"]], timeout=600)
    assert done["state"] == "succeeded", done
    result = done["result"]["result"]
    assert result["size"] == "720x720" and result["mouth"] == "pinyin" and result["seconds"] > 1
    for wrong in ({"script": "Hi."}, {"script": "Hi.", "avatar": "bob", "portrait": "art_" + "0" * 22}):
        r = httpx.post(f"{server.base_url}/v1/apps/presenter", json={"input": wrong}, timeout=60)
        assert r.status_code == 400 and "avatar" in r.json()["error"]["message"], r.text


def test_the_cli_renders_a_presenter_with_an_avatar(settings, tmp_path):
    from click.testing import CliRunner

    from zaowu.cli.main import cli

    out = tmp_path / "host.mp4"
    env = {"ZAOWU_DATA_DIR": str(settings.data_dir), "ZAOWU_MODELS_DIR": str(settings.models_dir)}
    args = ["video", "presenter", "--script", "Hi there.", "-s", "360x640", "-o", str(out)]
    r = CliRunner().invoke(cli, [*args, "--avatar", "long blonde hair, red sweater"], env=env)
    assert r.exit_code == 0, r.output
    with av.open(str(out)) as c:
        first = next(c.decode(video=0)).to_ndarray(format="bgr24")
    assert first.shape == (640, 360, 3)
    assert first[320:, 120:240, 2].mean() > first[320:, 120:240, 0].mean() + 40  # the red sweater, below the face
    r = CliRunner().invoke(cli, args, env=env)
    assert r.exit_code != 0 and "--avatar" in r.output

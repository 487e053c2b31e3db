"""Decoding for a model (``load_image(min_side=...)``): no more pixels than the model uses.

Indexing embeds every photo at the embedder's input size (224 px for CLIP); decoding a
phone photo in full and letting the model's bicubic resize read all of it is where the
indexing pipeline spent its time. These check that the short side never drops below what
the model needs, that colours and orientation survive, and that the index still records
the file's own size.
"""

from __future__ import annotations

from PIL import Image

from mmdemo.core.imaging import load_image, reduce_to_short_side


def close(pixel, colour, tol=12) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(pixel, colour, strict=True))


def test_big_jpeg_decodes_at_the_dct_scale_that_keeps_the_models_side(tmp_path, monkeypatch):
    from PIL import JpegImagePlugin

    drafts = []
    real = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        drafts.append(size)
        return real(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    photo = Image.new("RGB", (4000, 3000), (200, 20, 20))
    exif = photo.getexif()
    exif[0x0112] = 6  # a phone held upright: shown turned 90 degrees
    path = tmp_path / "IMG_1234.jpg"
    photo.save(path, quality=85, exif=exif.tobytes())

    image = load_image(path, min_side=224)
    assert drafts == [(299, 224)]  # the short side asked for is the model's
    assert image.size == (375, 500)  # 1/8 scale, turned upright; short side >= 224
    assert min(image.size) >= 224
    assert image.info["source_size"] == (3000, 4000)  # the photo's own upright size
    assert close(image.getpixel((100, 100)), (200, 20, 20))


def test_png_is_box_reduced_to_at_most_twice_the_models_side():
    image = Image.new("RGB", (1024, 768), (20, 160, 40))
    image.paste((250, 250, 250), (0, 0, 512, 768))  # left half white
    data = _png(image)
    out = load_image(data, min_side=224)
    assert out.size == (342, 256)  # reduced by 3 (768 // 224), rounding up
    assert 224 <= min(out.size) < 2 * 224
    assert out.info["source_size"] == (1024, 768)
    assert close(out.getpixel((40, 128)), (250, 250, 250))
    assert close(out.getpixel((300, 128)), (20, 160, 40))


def test_images_near_the_models_side_are_left_as_they_are():
    small = Image.new("RGB", (300, 400), (10, 10, 200))
    assert load_image(_png(small), min_side=224).size == (300, 400)
    assert reduce_to_short_side(small, 224) is small
    assert load_image(_png(small)).info["source_size"] == (300, 400)  # without min_side too


def test_without_min_side_nothing_changes(tmp_path):
    big = Image.new("RGB", (1024, 768), (20, 160, 40))
    assert load_image(_png(big)).size == (1024, 768)


def test_index_metadata_keeps_the_files_size_and_the_tensor_the_models_shape(tmp_path):
    from mmdemo.core.config import Settings
    from mmdemo.services.ingest import model_input_side, prepare_file
    from mmdemo.serving import ModelServer

    embedder = ModelServer(Settings(preset="tiny")).get("embed")
    assert model_input_side(embedder) == 64  # the tiny twin's transform: Resize(64)
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (1600, 1200), (200, 20, 20)).save(path, quality=90)
    prepared = prepare_file(path, embedder, 64_000_000, lambda sha: False)
    assert (prepared.meta["width"], prepared.meta["height"]) == (1600, 1200)
    assert tuple(prepared.tensor.shape) == (3, 64, 64)


def _png(image: Image.Image) -> bytes:
    import io

    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()

"""What the images API does with each field of OpenAI's `CreateImageRequest` and
`CreateImageEditRequest`."""

from __future__ import annotations

from gateway.core.parameters import Table, gateway, no_effect, refused, upstream

MODEL = gateway(
    "`dall-e-2`, `dall-e-3`, `gpt-image-1` (and no model) stand for `IMAGE_MODEL`; any "
    "Workers AI text-to-image name passes through; `IMAGE_BACKUP_MODEL` is tried under the same "
    "fallback rules as chat; `x-gateway-model` names the model that answered"
)
N = gateway(
    "1 to 10: that many upstream calls at once (Workers AI makes one image a call), under the "
    "request's deadline; with a `seed`, image *i* gets `seed + i`"
)
SIZE = upstream(
    "`WxH` as the model's `width` and `height` within its range; a size it cannot make is a 400; "
    "`auto` (or none) is the model's own size (FLUX.1 schnell makes only 1024x1024)"
)
QUALITY = upstream(
    "the model's steps: `low`, `medium`, `high`/`hd` ask for a quarter, half and all of its "
    "most steps; `auto`/`standard` its default; a model with fixed steps takes only those two"
)
RESPONSE_FORMAT = gateway(
    "`b64_json` inline; `url` a link valid for an hour (a presigned GET on the private images "
    "bucket in AWS, the gateway's own `/media/...` locally). Default: `url` for the `dall-e-*` "
    "names, as at OpenAI; `b64_json` for the others"
)
OUTPUT_FORMAT = gateway(
    "`png`, `jpeg` or `webp`: converted by the gateway when the model answers another format; "
    "none: the model's own format (no re-encoding), named in the answer's `output_format`"
)
OUTPUT_COMPRESSION = gateway(
    "0-100: the JPEG or WebP quality the image is re-encoded at; with PNG only 100 is accepted"
)
STREAM = refused(
    "Workers AI makes no partial images, and a stream's final event needs token counts it "
    "does not give: only `false` is accepted",
    lambda value: value is False,
)
PARTIAL_IMAGES = refused("needs `stream`: only 0 is accepted", lambda value: value == 0)
BACKGROUND = refused(
    "Workers AI's models make opaque images: `opaque` and `auto` are accepted",
    lambda value: value in {"opaque", "auto"},
)
USER = no_effect("an end-user id for OpenAI's abuse monitoring")
SEED = upstream(
    "Workers AI extension, for models that take one (not FLUX.1 schnell)", extension=True
)
NEGATIVE_PROMPT = upstream(
    "Workers AI extension, for the Stable Diffusion models and Phoenix", extension=True
)
GUIDANCE = upstream("Workers AI extension, for models that take it", extension=True)

IMAGE_GENERATIONS: Table = {
    "prompt": upstream("sent as the model's `prompt`"),
    "model": MODEL,
    "n": N,
    "quality": QUALITY,
    "response_format": RESPONSE_FORMAT,
    "output_format": OUTPUT_FORMAT,
    "output_compression": OUTPUT_COMPRESSION,
    "stream": STREAM,
    "partial_images": PARTIAL_IMAGES,
    "size": SIZE,
    "moderation": refused(
        "Workers AI has no moderation level to choose: only `auto` is accepted",
        lambda value: value == "auto",
    ),
    "background": BACKGROUND,
    "style": refused(
        "Workers AI's models have no style switch: only `vivid` (the default) is accepted",
        lambda value: value == "vivid",
    ),
    "user": USER,
    "seed": SEED,
    "negative_prompt": NEGATIVE_PROMPT,
    "guidance": GUIDANCE,
}

IMAGE_EDITS: Table = {
    "image": gateway(
        "one file for the Stable Diffusion models (sent as `image_b64`; WebP converted to PNG), "
        "up to 4 for FLUX.2 (`input_image_0`..`3`, scaled down to 512 pixels a side)"
    ),
    "prompt": upstream("sent as the model's `prompt`"),
    "mask": gateway(
        "OpenAI's transparent-means-edit PNG made into Stable Diffusion's white-means-repaint "
        "mask; it must have the image's size; models without masks refuse it"
    ),
    "background": BACKGROUND,
    "model": gateway(
        "the OpenAI names (and no model) stand for `IMAGE_EDIT_MODEL`, or `IMAGE_INPAINTING_MODEL` "
        "with a mask; Workers AI names that can edit pass through; `IMAGE_BACKUP_MODEL` is tried "
        "when it can do the same edit"
    ),
    "n": N,
    "size": SIZE,
    "response_format": RESPONSE_FORMAT,
    "output_format": OUTPUT_FORMAT,
    "output_compression": OUTPUT_COMPRESSION,
    "user": USER,
    "input_fidelity": upstream(
        "the Stable Diffusion models' `strength` when none is given: `low` (the default) 0.8, "
        "`high` 0.5 (closer to the source); FLUX.2 has no such control and takes only `low`"
    ),
    "stream": STREAM,
    "partial_images": PARTIAL_IMAGES,
    "quality": QUALITY,
    "seed": SEED,
    "negative_prompt": NEGATIVE_PROMPT,
    "guidance": GUIDANCE,
    "strength": upstream(
        "Workers AI extension, 0-1, for the Stable Diffusion models: how far from the source "
        "(default 0.8 without a mask, 1 with one)",
        extension=True,
    ),
}

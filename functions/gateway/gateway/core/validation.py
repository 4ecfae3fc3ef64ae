"""How request bodies are validated: the base models (of requests, and of the answers the
document shows), unions told apart by a tag, and pydantic's errors as OpenAI's single 400 with a
`param`.

Every union of the request schemas is annotated `Tagged(...)`, which has pydantic choose the
branch by a field's value and label each branch with its class name: pydantic puts that label
into an error's `loc`, where `_is_branch_label` knows it by its capital letter, so no list of
tag values is kept here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Union, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    GetCoreSchemaHandler,
    Tag,
    ValidationError,
    model_validator,
)
from pydantic_core import CoreSchema

from gateway.core.errors import GatewayError, param_name, unparsable_body


class RequestModel(BaseModel):
    """The base of every request schema: unknown fields are ignored (many OpenAI clients send
    extras), and the validator is built on first use, not at import (a cold start builds only
    the models its first request needs)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)


class AnswerModel(BaseModel):
    """The base of every answer schema. These models describe the answers in the OpenAPI
    document; the routes write their answers as plain dicts, so a model is built only if
    something asks for its schema (`make openapi`), never at start-up."""

    model_config = ConfigDict(defer_build=True)


class Unsupported(RequestModel):
    """A shape of the spec that Workers AI cannot take: a 400 naming where it is."""

    reason: ClassVar[str]

    @model_validator(mode="after")
    def _refuse(self) -> Unsupported:
        raise ValueError(self.reason)


@dataclass(frozen=True)
class Tagged:
    """`Annotated[A | B | C, Tagged(what="a content part's")]`: the union's branch is chosen by
    the value of the models' field `key` (`default` when the value has none), and each branch
    is labelled with its class name for `validation_error`. Type checkers see `A | B | C`.

    A tag no model has is a 400 saying `{what} {key} must be one of ...`. The tag of each
    model is its `Literal` annotation for `key`.
    """

    what: str
    key: str = "type"
    default: str | None = None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        union = _tagged_union(*get_args(source), what=self.what, key=self.key, default=self.default)
        return handler.generate_schema(union)


def _tagged_union(
    *models: type[BaseModel], what: str, key: str = "type", default: str | None = None
) -> Any:
    tags: dict[str, str] = {}
    for model in models:
        annotation = model.model_fields[key].annotation
        for tag in getattr(annotation, "__args__", ()):
            tags[tag] = model.__name__

    def tag_of(value: Any) -> str | None:
        found = value.get(key, default) if isinstance(value, dict) else getattr(value, key, None)
        return tags.get(found) if isinstance(found, str) else None

    branches = tuple(Annotated[model, Tag(model.__name__)] for model in models)
    return Annotated[
        Union[branches],  # noqa: UP007 -- built from a tuple
        Discriminator(
            tag_of,
            custom_error_type=f"{INVALID_TAG}{key}",
            custom_error_message=f"{what} {key} must be one of {', '.join(map(repr, tags))}",
        ),
    ]


INVALID_TAG = "invalid_tag:"
"""The error type of a value no branch of a `Tagged` union has the tag of, before the name of
the field that holds the tag."""

TYPE_LABELS = {"str", "int", "float", "bool", "dict", "list", "none"}


def _is_branch_label(part: Any) -> bool:
    """Pydantic names the union branch it tried inside `loc` ("UserMessage", "str",
    "list[...]", "function-after[...]"); field names are lower-case snake_case."""
    if not isinstance(part, str):
        return False
    return "[" in part or "-" in part or part[:1].isupper() or part in TYPE_LABELS


def _param_of(loc: tuple[Any, ...]) -> str | None:
    return param_name(part for part in loc if not _is_branch_label(part))


def _most_telling(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """Of the errors pydantic found for the first bad field (one per union branch it tried),
    the deepest: it names what is wrong rather than which branch failed first."""
    loc = tuple(errors[0].get("loc", ()))
    stem: tuple[Any, ...] = ()
    for part in loc:
        if _is_branch_label(part):
            break
        stem += (part,)
    same_field = [e for e in errors if tuple(e.get("loc", ()))[: len(stem)] == stem]
    return max(same_field, key=lambda e: len(e.get("loc", ())))


def validation_error(exc: ValidationError) -> GatewayError:
    """Pydantic's list of problems as OpenAI's single 400 with a `param`: the missing
    parameter, or the invalid value and why."""
    error = _most_telling([dict(e) for e in exc.errors()])
    kind = error.get("type")
    if kind == "json_invalid":
        return unparsable_body()
    param = _param_of(tuple(error.get("loc", ())))
    if param is None and kind in {"missing", "model_attributes_type", "dict_type"}:
        return GatewayError(
            400, "The request body must be a JSON object.", code="invalid_request_body"
        )
    if kind == "missing":
        return GatewayError(
            400,
            f"Missing required parameter: '{param}'.",
            param=param,
            code="missing_required_parameter",
        )
    reason = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if str(kind).startswith(INVALID_TAG) and isinstance(given := error.get("input"), dict):
        tag = given.get(str(kind).removeprefix(INVALID_TAG))
        reason += f", not {tag!r}" if tag is not None else ""
    where = f"'{param}'" if param else "the request body"
    return GatewayError(
        400, f"Invalid value for {where}: {reason}", param=param, code="invalid_value"
    )

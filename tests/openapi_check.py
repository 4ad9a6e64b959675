"""Checks one outbound BigCommerce REST request against BigCommerce's published OpenAPI 3 files.

What an independent contract suite would check, so we find mismatches first: the operation exists
(path template + method), every query parameter is declared for it and has a valid value, required
parameters, headers and the API-key header are present, and the JSON body validates against the
operation's requestBody schema. `check_request` answers a list of problems (empty when it conforms).

OpenAPI 3.0 read as OpenAPI says: `nullable: true` (a Draft 4 type list with "null"), `readOnly`
properties (never required of a request), query arrays in `style: form` with `explode: false` (one
comma-separated value) or exploded (the name repeated), `$ref`s inside the file (components ride in
the root schema, so `#/components/...` resolves as in the file). The one departure from the files is
AMBIGUOUS_ONE_OF: oneOfs no body can satisfy, read as anyOf.
"""

from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import jsonschema
import yaml

REPO = Path(__file__).resolve().parents[1]
SPECS_ENV = "BIGCOMMERCE_SPECS_DIR"


def _main_checkout(repo: Path) -> Path | None:
    """The main checkout of a linked git worktree (its `.git` is a file naming the worktree's gitdir,
    whose `commondir` is the main repository's .git), else None."""
    marker = repo / ".git"
    if not marker.is_file():
        return None
    text = marker.read_text().strip()
    if not text.startswith("gitdir:"):
        return None
    gitdir = (repo / text.removeprefix("gitdir:").strip()).resolve()
    common = gitdir / "commondir"
    if not common.is_file():
        return None
    return (gitdir / common.read_text().strip()).resolve().parent


def specs_candidates(repo: Path = REPO, environ: dict | None = None) -> list[Path]:
    """Where BigCommerce's OpenAPI files are looked for, in order: $BIGCOMMERCE_SPECS_DIR when set (and
    then only there), else `../shared/bigcommerce-specs` beside the checkout, and for a linked git worktree
    beside its main checkout too (the files are never in the repository: README of that folder)."""
    environ = os.environ if environ is None else environ
    if environ.get(SPECS_ENV):
        return [Path(environ[SPECS_ENV]).expanduser().resolve()]
    found = [(repo.parent / "shared" / "bigcommerce-specs").resolve()]
    main = _main_checkout(repo)
    if main is not None and main != repo:
        found.append((main.parent / "shared" / "bigcommerce-specs").resolve())
    return found


REST_SPECS = (
    "orders.v2.oas2.yml",
    "marketing.v2.yml",
    "orders.v3.yml",
    "customers.v3.yml",
    "customers.v2.yml",
    "subscribers.v3.yml",
    "promotions.v3.yml",
    "scripts.v3.yml",
    "webhooks.v3.yml",
    "store_information.v2.yml",
    "channels.v3.yml",
    "sites.v3.yml",
)


def locate_specs(candidates: list[Path]) -> Path:
    """The first candidate holding every file of REST_SPECS (the first candidate when none does)."""
    return next((c for c in candidates if all((c / name).exists() for name in REST_SPECS)), candidates[0])


SPECS = locate_specs(specs_candidates())
SPECS_MISSING = (
    f"BigCommerce's OpenAPI files ({', '.join(REST_SPECS)}) are not in "
    f"{' or '.join(str(c) for c in specs_candidates())}: put them beside the checkout "
    f"(../shared/bigcommerce-specs) or set {SPECS_ENV}"
)
# oneOfs of BigCommerce's files that no request body can satisfy: every branch accepts every object
# (nothing required, no discriminator, other properties allowed), so a right body is "valid under each
# of" them. Read as anyOf, so a body must still match a branch. test_bigcommerce_requests_conform
# proves each entry is still ambiguous in the files, so none outlives a fix upstream.
AMBIGUOUS_ONE_OF = {
    ("promotions.v3.yml", "#/components/schemas/Condition"):
        "CartCondition and AndCondition require no property, so any condition is both",
    ("promotions.v3.yml", "#/paths/~1promotions~1{id}/put/requestBody/content/application~1json/schema"):
        "PatchAutomaticPromotion is PromotionBase; PatchCouponPromotion only adds optional properties to it",
}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
STORE_PREFIX = re.compile(r"^/stores/(?P<store_hash>[^/]+)/(?P<version>v2|v3)(?P<path>/.*)$")


@dataclass(frozen=True)
class CapturedRequest:
    """What the app put on the wire: method, URL, headers and the decoded JSON body (None if none)."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    has_body: bool = False

    @classmethod
    def from_prepared(cls, request) -> CapturedRequest:
        raw = request.body or b""
        if isinstance(raw, str):
            raw = raw.encode()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        return cls(method=request.method.upper(), url=request.url, headers=dict(request.headers), body=body,
                   has_body=bool(raw))


@dataclass(frozen=True)
class Operation:
    file: str
    template: str
    method: str
    spec: dict
    node: dict
    parameters: tuple[dict, ...]

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.template} ({self.file})"


# --- loading the files --------------------------------------------------------------------------


@cache
def load_spec(directory: Path, name: str) -> dict:
    return yaml.safe_load((directory / name).read_text())


def specs_available(directory: Path = SPECS) -> bool:
    return all((directory / name).exists() for name in REST_SPECS)


def _version_of(spec: dict) -> str:
    """'v2' or 'v3' from the file's server URL (https://api.bigcommerce.com/stores/{store_hash}/v3)."""
    url = spec["servers"][0]["url"]
    return url.rstrip("/").rsplit("/", 1)[-1]


def resolve_pointer(spec: dict, pointer: str) -> Any:
    target: Any = spec
    for part in pointer.lstrip("#/").split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return target


def _resolve(spec: dict, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = resolve_pointer(spec, node["$ref"])
    return node


@cache
def checked_spec(directory: Path, name: str) -> dict:
    """The file as the checker reads it: its AMBIGUOUS_ONE_OF entries read as anyOf."""
    spec = copy.deepcopy(load_spec(directory, name))
    for file, pointer in AMBIGUOUS_ONE_OF:
        if file == name:
            node = resolve_pointer(spec, pointer)
            node["anyOf"] = node.pop("oneOf")
    return spec


def _template_regex(template: str) -> re.Pattern:
    parts = re.split(r"(\{[^}/]+\})", template)
    pattern = "".join(
        f"(?P<{_group(p[1:-1])}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts
    )
    return re.compile(f"^{pattern}$")


def _group(name: str) -> str:
    return re.sub(r"\W", "_", name)


def find_operation(method: str, version: str, path: str, directory: Path = SPECS) -> tuple[Operation, dict] | None:
    """The operation whose path template and method match, and its path parameters' raw values.

    Where templates overlap (/orders/count vs /orders/{order_id}), the one with more literal segments wins,
    as in every router that implements the spec.
    """
    candidates = []
    for name in REST_SPECS:
        spec = checked_spec(directory, name)
        if _version_of(spec) != version:
            continue
        for template, item in spec["paths"].items():
            op = item.get(method.lower())
            if op is None:
                continue
            match = _template_regex(template).match(path)
            if match is None:
                continue
            literal = sum(1 for seg in template.split("/") if seg and not seg.startswith("{"))
            params = [_resolve(spec, p) for p in item.get("parameters", [])]
            own = [_resolve(spec, p) for p in op.get("parameters", [])]
            # Operation-level parameters override path-level ones of the same name and location.
            keys = {(p["name"], p["in"]) for p in own}
            merged = tuple([p for p in params if (p["name"], p["in"]) not in keys] + own)
            raw = {name_: match.group(_group(name_)) for name_ in re.findall(r"\{([^}/]+)\}", template)}
            candidates.append((literal, Operation(name, template, method.lower(), spec, op, merged), raw))
    if not candidates:
        return None
    candidates.sort(key=lambda c: -c[0])
    _, operation, raw = candidates[0]
    return operation, raw


# --- schemas ------------------------------------------------------------------------------------


def _openapi_to_jsonschema(node: Any) -> Any:
    """OAS 3.0 request schema → Draft 4: nullable becomes a "null" type; readOnly properties are
    not required (OAS 3.0.3, Schema Object "readOnly").

    Sending one is not refused: OAS says only SHOULD NOT, and BigCommerce's files mark fields readOnly
    in a shared base schema that a sibling `allOf` branch then requires (promotions' redemption_type).
    """
    if isinstance(node, list):
        return [_openapi_to_jsonschema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _openapi_to_jsonschema(value) for key, value in node.items()}
    if isinstance(out.get("properties"), dict) and "required" in out:
        read_only = {k for k, v in node["properties"].items() if isinstance(v, dict) and v.get("readOnly")}
        out["required"] = [r for r in out["required"] if r not in read_only]
        if not out["required"]:
            del out["required"]
    if out.pop("nullable", False) is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        elif kind is None:
            out = {"anyOf": [{"type": "null"}, out]}
    return out


@cache
def _components(directory: Path, name: str) -> dict:
    return _openapi_to_jsonschema(checked_spec(directory, name).get("components", {}))


def _validator(file: str, schema: dict, directory: Path):
    # The components ride along in the root so the file's own "#/components/..." refs resolve.
    root = {"allOf": [_openapi_to_jsonschema(schema)], "components": _components(directory, file)}
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: Any) -> bool:
        # jsonschema checks date-time only with an optional package: RFC 3339's shape, then a real date.
        if not isinstance(value, str):
            return True
        return bool(RFC3339.fullmatch(value)) and bool(datetime.fromisoformat(value.upper()))

    return jsonschema.Draft4Validator(root, format_checker=checker)


def schema_problems(file: str, schema: dict, value: Any, where: str = "value", directory: Path = SPECS) -> list[str]:
    """What keeps `value` from validating against `schema`, a schema of `file` (its refs resolve in it)."""
    errors = _validator(file, schema, directory).iter_errors(value)
    return [_describe(error, where) for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])]


def _describe(error, where: str) -> str:
    """One line per error; a failed oneOf/anyOf names each branch and what it missed, not just "none"."""
    at = "/".join(str(p) for p in error.absolute_path)
    prefix = f"{where}/{at}" if at else where
    if not error.context:
        message = error.message if len(error.message) <= 300 else error.message[:300] + "…"
        return f"{prefix}: {message}"
    branches: dict[int, list] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    parts = []
    for index, subs in sorted(branches.items()):
        ref = error.validator_value[index].get("$ref", "") if isinstance(error.validator_value[index], dict) else ""
        name = ref.rsplit("/", 1)[-1] or f"#{index}"
        parts.append(f"{name}: " + "; ".join(_describe(sub, where) for sub in subs[:3]))
    return f"{prefix}: matches no branch of {error.validator} [" + " | ".join(parts) + "]"


# --- parameter values ---------------------------------------------------------------------------


def _coerce(raw: str, schema: dict) -> Any:
    """A query or path string as the JSON value the schema describes; left as is when it can't be."""
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            number = float(raw)
            return int(number) if number.is_integer() and re.fullmatch(r"-?\d+", raw) else number
        if kind == "boolean" and raw in ("true", "false"):
            return raw == "true"
    except ValueError:
        return raw
    return raw


def _parameter_value(param: dict, schema: dict, raws: list[str]) -> tuple[Any, list[str]]:
    problems: list[str] = []
    if schema.get("type") == "array":
        explode = param.get("explode", param.get("style", "form") == "form")
        if not explode:
            if len(raws) > 1:
                problems.append(f"query {param['name']}: sent {len(raws)} times, the spec wants one comma list")
            items = [item for raw in raws for item in raw.split(",")]
        else:
            items = raws
        item_schema = schema.get("items", {})
        return [_coerce(item, item_schema) for item in items], problems
    if len(raws) > 1:
        problems.append(f"query {param['name']}: sent {len(raws)} times for a single value")
    return _coerce(raws[-1], schema), problems


# --- the check ----------------------------------------------------------------------------------


def split_api_url(url: str, api_base: str) -> tuple[str, str, str] | None:
    """(version, path after /stores/{hash}/vN, query) for a URL under the API base, else None."""
    if not url.startswith(api_base.rstrip("/") + "/"):
        return None
    parts = urlsplit(url)
    rest = parts.path[len(urlsplit(api_base).path.rstrip("/")):]
    match = STORE_PREFIX.match(rest)
    if match is None:
        return ("", rest, parts.query)
    return match["version"], match["path"], parts.query


def check_request(request: CapturedRequest, *, api_base: str, directory: Path = SPECS) -> tuple[str, list[str]]:
    """(operation label, problems). The label is the matched operation, or the raw method and path."""
    split = split_api_url(request.url, api_base)
    if split is None:
        return f"{request.method} {request.url}", ["not under the BigCommerce API base URL"]
    version, path, query = split
    if not version:
        return f"{request.method} {path}", ["path is not /stores/{store_hash}/v2|v3/..."]
    found = find_operation(request.method, version, path, directory)
    if found is None:
        return f"{request.method} /{version}{path}", ["no operation in the specs matches this method and path"]
    operation, path_values = found
    problems: list[str] = []
    headers = {k.lower(): v for k, v in request.headers.items()}
    queries: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        queries.setdefault(name, []).append(value)

    declared = {(p["name"], p["in"]): p for p in operation.parameters}
    for name in queries:
        if (name, "query") not in declared:
            problems.append(f"query {name}: not a parameter of this operation")

    for (name, where), param in declared.items():
        schema = _resolve(operation.spec, param.get("schema", {}))
        if where == "query":
            raws = queries.get(name)
            if raws is None:
                if param.get("required"):
                    problems.append(f"query {name}: required but missing")
                continue
            value, shape = _parameter_value(param, schema, raws)
            problems += shape
            problems += schema_problems(operation.file, schema, value, f"query {name}", directory)
        elif where == "path":
            value = _coerce(unquote(path_values.get(name, "")), schema)
            problems += schema_problems(operation.file, schema, value, f"path {name}", directory)
        elif where == "header":
            if name.lower() not in headers:
                if param.get("required"):
                    problems.append(f"header {name}: required but missing")
                continue
            value = _coerce(headers[name.lower()], schema)
            problems += schema_problems(operation.file, schema, value, f"header {name}", directory)

    problems += _security_problems(operation, headers)
    problems += _body_problems(operation, request, headers, directory)
    return operation.label, problems


def _security_problems(operation: Operation, headers: dict[str, str]) -> list[str]:
    requirements = operation.node.get("security", operation.spec.get("security")) or []
    schemes = operation.spec.get("components", {}).get("securitySchemes", {})
    if not requirements:
        return []
    for requirement in requirements:
        missing = [
            scheme["name"] for key in requirement
            if (scheme := schemes.get(key, {})).get("type") == "apiKey" and scheme.get("in") == "header"
            and scheme["name"].lower() not in headers
        ]
        if not missing:
            return []
    return [f"header {missing[0]}: the API key header is missing"]


def _body_problems(operation: Operation, request: CapturedRequest, headers: dict[str, str],
                   directory: Path) -> list[str]:
    body_spec = _resolve(operation.spec, operation.node.get("requestBody"))
    if body_spec is None:
        return ["body: this operation takes no request body"] if request.has_body else []
    if not request.has_body:
        return ["body: required but missing"] if body_spec.get("required") else []
    content = body_spec.get("content", {})
    media = headers.get("content-type", "").split(";")[0].strip()
    if media not in content:
        return [f"header Content-Type: {media or 'missing'} is not one of {sorted(content)}"]
    schema = content[media].get("schema")
    if schema is None:
        return []
    return schema_problems(operation.file, schema, request.body, "body", directory)

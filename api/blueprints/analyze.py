"""Ad-hoc analysis of an uploaded console log, in-process.

The engine is pure, streaming and bounded in memory, so the API runs it over the request stream itself rather
than pushing megabytes through Redis to a worker. ``MAX_UPLOAD_BYTES`` bounds both the bytes received and, for
gzip, the bytes after decompression (a small bomb must not become minutes of CPU).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import IO

from flask import Blueprint, Response, jsonify, request

from api.errors import APIError, FieldError, validation_error
from api.openapi import Body, Query, operation
from api.services import services
from api.validation import query_choice
from worker.analysis import Analysis, analyze_stream, load_knowledge_base

bp = Blueprint("analyze", __name__, url_prefix="/api/v1")

CHUNK_BYTES = 64 * 1024
GZIP_MAGIC = b"\x1f\x8b"
TEXT_TYPES = frozenset({"text/plain"})
GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip"})
BINARY_TYPES = frozenset({"application/octet-stream"})


def _raw_chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK_BYTES):
        yield chunk


def _gunzip(chunks: Iterator[bytes], limit: int) -> Iterator[bytes]:
    """Decompress gzip (concatenated members too) incrementally, never producing more than ``limit`` bytes."""
    decomp = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    produced = 0
    try:
        for chunk in chunks:
            data = chunk
            while data:
                out = decomp.decompress(data, CHUNK_BYTES)
                produced += len(out)
                if produced > limit:
                    raise APIError(413, "payload_too_large", f"the decompressed log exceeds {limit} bytes")
                if out:
                    yield out
                if decomp.eof:  # a new gzip member may follow (``cat a.gz b.gz``)
                    data = decomp.unused_data
                    decomp = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
                else:
                    data = decomp.unconsumed_tail
        tail = decomp.flush()
        if tail:
            yield tail
    except zlib.error as exc:
        raise APIError(400, "malformed_gzip", f"the body is not valid gzip data: {exc}") from None


def _counted(chunks: Iterator[bytes], seen: list[int]) -> Iterator[bytes]:
    for chunk in chunks:
        seen[0] += len(chunk)
        yield chunk


def _log_chunks(mimetype: str, limit: int) -> Iterator[bytes]:
    """The request body as log bytes, decompressed when gzip (declared, or sniffed for octet-stream)."""
    chunks = _raw_chunks(request.stream)
    first = next(chunks, b"")
    if not first:
        return
    gzipped = mimetype in GZIP_TYPES or (mimetype in BINARY_TYPES and first.startswith(GZIP_MAGIC))

    def body() -> Iterator[bytes]:
        yield first
        yield from chunks

    yield from _gunzip(body(), limit) if gzipped else body()


def render_text(analysis: Analysis) -> str:
    """A plain-text report for terminals (``?format=text``)."""
    lines = [
        f"category: {analysis.category}",
        f"summary: {analysis.summary}",
        f"fingerprint: {analysis.fingerprint}",
    ]
    for cause in analysis.causes:
        lines.append(f"cause [{cause.id}] line {cause.line}: {cause.description}")
        lines.append(f"  fix: {cause.fix}")
    for block in analysis.excerpt:
        lines.append(f"--- lines {block.start_line}-{block.end_line} (score {block.score:.2f})")
        lines.extend(block.text.split("\n"))
    return "\n".join(lines) + "\n"


@bp.post("/analyze")
@operation(
    tags=["analysis"],
    uploads=sorted(TEXT_TYPES | GZIP_TYPES | BINARY_TYPES),
    query=[
        Query("format", "json, or text for terminals", type="string", default="json", enum=("json", "text"))
    ],
    responses={
        200: Body(
            Analysis,
            "the analysis (with ?format=text: a plain-text report)",
            also={"text/plain": {"type": "string"}},
        )
    },
    errors=[400, 413, 415, 422],
    scope="analyze",
)
def analyze() -> Response:
    """Analyse the uploaded log (``text/plain``, ``application/gzip`` or ``application/octet-stream``)."""
    settings = services().settings
    fmt = query_choice("format", choices=("json", "text"), default="json")
    mimetype = request.mimetype
    if mimetype not in TEXT_TYPES | GZIP_TYPES | BINARY_TYPES:
        raise APIError(
            415,
            "unsupported_media_type",
            "Content-Type must be text/plain, application/gzip or application/octet-stream "
            f"(got {mimetype or 'none'})",
        )
    # Uploads may be far larger than JSON bodies; werkzeug enforces this on the stream (chunked too): 413.
    request.max_content_length = settings.max_upload_bytes
    seen = [0]
    analysis = analyze_stream(
        _counted(_log_chunks(mimetype, settings.max_upload_bytes), seen),
        knowledge_base=load_knowledge_base(settings.knowledge_base_paths),
    )
    if seen[0] == 0:
        raise validation_error([FieldError("body", "missing", "the request body is empty; send the log")])
    if fmt == "text":
        return Response(render_text(analysis), mimetype="text/plain")
    return jsonify(analysis.model_dump(mode="json"))

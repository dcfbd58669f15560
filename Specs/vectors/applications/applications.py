#!/usr/bin/env python3
"""Writes applications.json: byte vectors of the application protocols of Specs/APPLICATIONS.md
(the file transfer of `rudp send`/`rudp recv` and the echo service), computed here independently
of the Swift code (hashlib for SHA-256). Run from this directory: python3 applications.py

They live in a directory of their own: the wire tests and the fuzz seeds read every .json file
directly in Specs/vectors as packet vectors."""
import hashlib
import json
import struct


def header(name, size, digest):
    encoded = name.encode("utf-8")
    return bytes([0x01, 0x01]) + struct.pack(">Q", size) + digest + struct.pack(">H", len(encoded)) + encoded


def chunk(content):
    return bytes([0x02]) + content


def verdict(intact, reason):
    return bytes([0x03, 0x00 if intact else 0x01]) + reason.encode("utf-8")


def sha(data):
    return hashlib.sha256(data).digest()


hello = b"Hello, RUDP!\n"
empty_digest = sha(b"")
valid = [
    {"name": "header-small-file", "description": "The header of a 13-byte file named hello.txt.",
     "message": {"kind": "header", "name": "hello.txt", "size": 13, "sha256": sha(hello).hex()},
     "hex": header("hello.txt", 13, sha(hello)).hex()},
    {"name": "header-empty-file", "description": "An empty file: size 0, the SHA-256 of nothing; no content message follows.",
     "message": {"kind": "header", "name": "empty", "size": 0, "sha256": empty_digest.hex()},
     "hex": header("empty", 0, empty_digest).hex()},
    {"name": "header-large-utf8-name", "description": "A size above 2^32 and a name with multi-byte UTF-8 characters.",
     "message": {"kind": "header", "name": "résumé-東京.tar", "size": 5_000_000_000, "sha256": sha(b"x").hex()},
     "hex": header("résumé-東京.tar", 5_000_000_000, sha(b"x")).hex()},
    {"name": "header-empty-name", "description": "A name of length 0 is valid (the receiver names the file by --output anyway).",
     "message": {"kind": "header", "name": "", "size": 1, "sha256": sha(b"\x00").hex()},
     "hex": header("", 1, sha(b"\x00")).hex()},
    {"name": "content", "description": "A content message carrying the 13 bytes of hello.txt.",
     "message": {"kind": "content", "content": hello.hex()}, "hex": chunk(hello).hex()},
    {"name": "content-empty", "description": "A content message with no bytes (valid, though senders have no reason to send one).",
     "message": {"kind": "content", "content": ""}, "hex": chunk(b"").hex()},
    {"name": "verdict-intact", "description": "The verdict for an intact, saved file (the reason text is informative).",
     "message": {"kind": "verdict", "intact": True, "reason": "saved 13 bytes, SHA-256 verified"},
     "hex": verdict(True, "saved 13 bytes, SHA-256 verified").hex()},
    {"name": "verdict-refused", "description": "A refusal, with the reason the receiver shows the sender.",
     "message": {"kind": "verdict", "intact": False, "reason": "the sender announced 20000000 bytes, more than --max-size 1000000"},
     "hex": verdict(False, "the sender announced 20000000 bytes, more than --max-size 1000000").hex()},
    {"name": "verdict-no-reason", "description": "A verdict with an empty reason.",
     "message": {"kind": "verdict", "intact": False, "reason": ""}, "hex": verdict(False, "").hex()},
]

good = header("a", 1, sha(b"a"))
invalid = [
    {"name": "empty-message", "description": "A message must have a tag byte.", "hex": "", "error": "empty"},
    {"name": "unknown-tag", "description": "Tag 0x04 is not defined.", "hex": "04", "error": "unknownTag"},
    {"name": "tag-zero", "description": "Tag 0x00 is not defined.", "hex": "00", "error": "unknownTag"},
    {"name": "header-version-2", "description": "Header version 2 is not this protocol's.", "hex": (bytes([1, 2]) + good[2:]).hex(), "error": "unsupportedVersion"},
    {"name": "header-truncated", "description": "A header shorter than its 44 fixed bytes.", "hex": good[:43].hex(), "error": "truncated"},
    {"name": "header-name-shorter-than-length", "description": "name_length says 1 but no name byte follows.", "hex": good[:44].hex(), "error": "malformedHeader"},
    {"name": "header-trailing-byte", "description": "A byte after the name.", "hex": (good + b"\x00").hex(), "error": "malformedHeader"},
    {"name": "header-name-too-long", "description": "name_length 1025 (the limit is 1024), with 1025 name bytes.",
     "hex": (bytes([1, 1]) + struct.pack(">Q", 1) + sha(b"a") + struct.pack(">H", 1025) + b"a" * 1025).hex(), "error": "malformedHeader"},
    {"name": "verdict-truncated", "description": "A verdict without its status byte.", "hex": "03", "error": "malformedVerdict"},
    {"name": "verdict-status-2", "description": "Status 2 is not defined.", "hex": "0302", "error": "malformedVerdict"},
    {"name": "verdict-reason-too-long", "description": "A reason of 1025 bytes (the limit is 1024).", "hex": (bytes([3, 1]) + b"x" * 1025).hex(), "error": "malformedVerdict"},
]

transfer = [
    {"direction": "sender-to-receiver", "hex": header("hello.txt", 13, sha(hello)).hex()},
    {"direction": "sender-to-receiver", "hex": chunk(hello).hex()},
    {"direction": "receiver-to-sender", "hex": verdict(True, "saved 13 bytes, SHA-256 verified").hex()},
]

echo = [
    {"name": "echo-ascii", "request": b"Alice".hex(), "reply": b"Hello, Alice!".hex()},
    {"name": "echo-empty", "request": "", "reply": b"Hello, !".hex()},
    {"name": "echo-utf8", "request": "Zoë".encode().hex(), "reply": "Hello, Zoë!".encode().hex()},
    {"name": "echo-binary", "description": "Messages are bytes, not text: the reply wraps them unchanged.",
     "request": "00ff80", "reply": (b"Hello, " + bytes([0, 255, 128]) + b"!").hex()},
]

document = {
    "description": "Vectors of Specs/APPLICATIONS.md. fileTransfer.valid: each 'hex' is one message (the bytes of one RUDP message on channel 0) and decodes to 'message'; encoding 'message' gives 'hex'. fileTransfer.invalid: decoding 'hex' fails; 'error' names the reason (informative). fileTransfer.transcript: the messages of a complete transfer of the 13-byte file hello.txt, in order. echo: the echo service's reply to each request. Generated by applications.py.",
    "fileTransfer": {"valid": valid, "invalid": invalid, "transcript": transfer},
    "echo": echo,
}

with open("applications.json", "w") as output:
    json.dump(document, output, indent=2, ensure_ascii=False)
    output.write("\n")

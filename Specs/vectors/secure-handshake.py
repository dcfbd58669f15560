#!/usr/bin/env python3
"""Writes secure-handshake.json: packet-level vectors of the secure handshake packets
(PROTOCOL.md section 20.2) -- the packet bytes WITHOUT their 16-byte tag, like the other packet
vector files hold packets without the CRC-32C trailer. Whole protected datagrams with their tags
are in security/security.json ("handshake_exchange"). Protocol version 2 (version byte 0x02).
Run: python3 secure-handshake.py
"""
import json
import struct

PARAMS = "0123456789abcdef 04b0 00100000 0000000000400000 08 2000 1388"
PARAMS_JSON = {
    "source_connection_id": "0123456789abcdef", "max_datagram_size": 1200, "max_message_size": 1048576,
    "initial_max_data": "4194304", "channel_count": 8, "message_window": 8192, "max_ack_delay_us": 5000,
}
SERVER_PARAMS = "fedcba9876543210 04b0 00100000 0000000000400000 08 2000 1388"
SERVER_PARAMS_JSON = dict(PARAMS_JSON, source_connection_id="fedcba9876543210")
CLIENT_RANDOM = bytes(range(0x40, 0x60)).hex()
SERVER_RANDOM = bytes(range(0x60, 0x80)).hex()
COOKIE = bytes(range(0xA0, 0xB8)).hex()
VERSION = "02"


def padding(used, size=1184):
    return "00" * (size - used)


def connect(flags, pn, cookie, size=1184, params=PARAMS):
    """A secure CONNECT of `size` bytes (1,184 is the only valid size): fields, then zero padding."""
    used = 19 + 27 + 32 + 1 + len(cookie) // 2
    return "%s 01 %02x 0000000000000000 %016x | %s | %s | %02x %s | %s" % (
        VERSION, flags, pn, params, CLIENT_RANDOM, len(cookie) // 2, cookie, padding(used, size))


def with_last_byte(hex_string, byte):
    return hex_string[:-2] + byte


def retry(flags, cookie_hex, extra=""):
    return "%s 04 %02x 0123456789abcdef 0000000000000000 | %02x %s%s" % (
        VERSION, flags, len(COOKIE) // 2, cookie_hex, extra)


def accept(flags, random_hex, extra=""):
    return "%s 02 %02x 0123456789abcdef 0000000000000000 | %s | %s%s" % (VERSION, flags, SERVER_PARAMS, random_hex, extra)


vectors = [
    {
        "name": "secure-connect-first",
        "description": "Encrypted-mode CONNECT (flags 0x03) without a cookie: parameters, client_random 40..5f, cookie length 0, zero padding to 1,184 bytes (1,200 with the connect tag).",
        "hex": connect(0x03, 0, ""),
        "packet": {"type": "secure_connect", "flags": 3, "destination": "0000000000000000", "packet_number": "0",
                   "parameters": PARAMS_JSON, "client_random": CLIENT_RANDOM, "cookie": ""},
    },
    {
        "name": "secure-connect-with-cookie",
        "description": "Authenticated-mode CONNECT (flags 0x01), packet number 1, echoing the 24-byte cookie a0..b7 of a RETRY.",
        "hex": connect(0x01, 1, COOKIE),
        "packet": {"type": "secure_connect", "flags": 1, "destination": "0000000000000000", "packet_number": "1",
                   "parameters": PARAMS_JSON, "client_random": CLIENT_RANDOM, "cookie": COOKIE},
    },
    {
        "name": "retry",
        "description": "RETRY (type 0x04, flags 0x03) to the client's connection ID 0123456789abcdef, packet number 0, carrying the 24-byte cookie a0..b7.",
        "hex": retry(0x03, COOKIE),
        "packet": {"type": "retry", "flags": 3, "destination": "0123456789abcdef", "packet_number": "0", "cookie": COOKIE},
    },
    {
        "name": "secure-accept",
        "description": "Encrypted-mode ACCEPT to 0123456789abcdef: the server's parameters (connection ID fedcba9876543210) and server_random 60..7f.",
        "hex": accept(0x03, SERVER_RANDOM),
        "packet": {"type": "secure_accept", "flags": 3, "destination": "0123456789abcdef", "packet_number": "0",
                   "parameters": SERVER_PARAMS_JSON, "server_random": SERVER_RANDOM},
    },
    {
        "name": "protected-data-ping",
        "description": "A DATA packet of an authenticated connection (flags 0x01) with one PING frame (before its tag).",
        "hex": "%s 03 01 fedcba9876543210 0000000000000002 | 01" % VERSION,
        "packet": {"type": "data", "flags": 1, "destination": "fedcba9876543210", "packet_number": "2",
                   "frames": [{"type": "ping"}]},
    },
    {
        "name": "secure-connect-nonzero-padding",
        "description": "A secure CONNECT whose last padding byte is 01.",
        "hex": with_last_byte(connect(0x03, 0, ""), "01"),
        "error": "invalidPadding",
    },
    {
        "name": "secure-connect-short",
        "description": "A secure CONNECT one byte short of 1,184 bytes (the padding is mandatory).",
        "hex": connect(0x03, 0, "", size=1183),
        "error": "truncated",
    },
    # The order of checks of a secure CONNECT (PROTOCOL.md section 6.2): the fields in wire order
    # (parameters, client_random, cookie), then the size (truncated below 1,184 bytes,
    # trailingBytes above), and only then the padding bytes (invalidPadding).
    {
        "name": "secure-connect-short-nonzero-padding",
        "description": "A secure CONNECT one byte short whose last padding byte is 01: the size is checked before the padding (truncated, not invalidPadding).",
        "hex": with_last_byte(connect(0x03, 0, "", size=1183), "01"),
        "error": "truncated",
    },
    {
        "name": "secure-connect-long",
        "description": "A secure CONNECT one byte longer than 1,184 bytes, all padding zero.",
        "hex": connect(0x03, 0, "", size=1185),
        "error": "trailingBytes",
    },
    {
        "name": "secure-connect-long-nonzero-padding",
        "description": "A secure CONNECT one byte too long whose last padding byte is 01: the size is checked before the padding (trailingBytes, not invalidPadding).",
        "hex": with_last_byte(connect(0x03, 0, "", size=1185), "01"),
        "error": "trailingBytes",
    },
    {
        "name": "secure-connect-short-invalid-parameter",
        "description": "A secure CONNECT one byte short with channel_count 0: the parameters are checked as they are read, before the size (invalidTransportParameter, not truncated).",
        "hex": connect(0x01, 0, "", size=1183, params=PARAMS.replace(" 08 2000 ", " 00 2000 ")),
        "error": "invalidTransportParameter",
    },
    {
        "name": "secure-connect-truncated-cookie",
        "description": "A secure CONNECT cut inside its cookie (cookie length 24, 12 cookie bytes, 91 bytes in all): truncated at the field, before any size or padding check.",
        "hex": "%s 01 03 0000000000000000 %016x | %s | %s | 18 %s" % (VERSION, 1, PARAMS, CLIENT_RANDOM, COOKIE[:24]),
        "error": "truncated",
    },
    {
        "name": "secure-accept-truncated-random",
        "description": "A secure ACCEPT whose server_random has only 31 bytes.",
        "hex": accept(0x03, SERVER_RANDOM[:-2]),
        "error": "truncated",
    },
    {
        "name": "secure-accept-trailing-byte",
        "description": "A secure ACCEPT (before its tag) followed by one zero byte: nothing may follow server_random.",
        "hex": accept(0x03, SERVER_RANDOM, " | 00"),
        "error": "trailingBytes",
    },
    {
        "name": "secure-retry-truncated-cookie",
        "description": "A protected RETRY (flags 0x01, before its tag) whose cookie length says 24 while 23 bytes follow.",
        "hex": retry(0x01, COOKIE[:-2]),
        "error": "truncated",
    },
    {
        "name": "secure-retry-trailing-byte",
        "description": "A protected RETRY (flags 0x03, before its tag) with one byte after its 24-byte cookie.",
        "hex": retry(0x03, COOKIE, " | 00"),
        "error": "trailingBytes",
    },
]

document = {
    "description": "Secure handshake packets (PROTOCOL.md section 20.2), protocol version 2, without their 16-byte tags; the invalid ones pin the order of checks of PROTOCOL.md section 6.2. Generated by secure-handshake.py.",
    "vectors": vectors,
}
with open("secure-handshake.json", "w") as f:
    json.dump(document, f, indent=2)
    f.write("\n")

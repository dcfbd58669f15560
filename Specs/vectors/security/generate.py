#!/usr/bin/env python3
"""Writes security.json: the security test vectors of Specs/SECURITY.md.

An implementation independent of the Swift code under test: Python's hashlib (BLAKE2b keyed,
with salt and personalization, exactly libsodium's crypto_generichash and crypto_kdf), hmac
(HMAC-SHA-512 truncated to 32 bytes, libsodium's crypto_auth) and the `cryptography` package's
ChaCha20Poly1305 (the IETF construction). Protocol version 2: every header starts with the version
byte 0x02 (the key-schedule labels below keep their text). Run it from this directory:
python3 generate.py
"""
import hashlib
import hmac
import json
import struct

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

PSK = bytes(range(0x00, 0x20))
CLIENT_RANDOM = bytes(range(0x40, 0x60))
SERVER_RANDOM = bytes(range(0x60, 0x80))
CLIENT_CID = 0x0123456789ABCDEF
SERVER_CID = 0xFEDCBA9876543210
COOKIE_SECRET = bytes(range(0x80, 0xA0))
VERSION = 0x02


def be64(n):
    return struct.pack(">Q", n)


def generichash(key, message, size=32):
    return hashlib.blake2b(message, digest_size=size, key=key).digest()


def kdf(master, subkey_id, context):
    assert len(context) == 8 and len(master) == 32
    salt = struct.pack("<Q", subkey_id) + bytes(8)
    person = context + bytes(8)
    return hashlib.blake2b(b"", digest_size=32, key=master, salt=salt, person=person).digest()


def crypto_auth(key, message):
    return hmac.new(key, message, hashlib.sha512).digest()[:32]


master = generichash(PSK, b"rudp v1 keys" + CLIENT_RANDOM + SERVER_RANDOM + be64(CLIENT_CID) + be64(SERVER_CID))
keys = {
    "client_to_server": kdf(master, 1, b"rudpkeys"),
    "server_to_client": kdf(master, 2, b"rudpkeys"),
    "handshake": kdf(master, 3, b"rudpkeys"),
}
connect_key = kdf(PSK, 1, b"rudpconn")
DIRECTION = {"client_to_server": 0, "server_to_client": 1}


def header(destination, pn, packet_type=0x03):
    return bytes([VERSION, packet_type, 0x00]) + be64(destination) + be64(pn)


def nonce(direction, pn):
    return struct.pack(">I", DIRECTION[direction]) + be64(pn)


def seal(mode, direction, hdr, payload):
    pn = struct.unpack(">Q", hdr[11:19])[0]
    aead = ChaCha20Poly1305(keys[direction])
    if mode == "authenticated":
        tag = aead.encrypt(nonce(direction, pn), b"", hdr + payload)
        return hdr + payload + tag
    sealed = aead.encrypt(nonce(direction, pn), payload, hdr)
    return hdr + sealed


def h(b):
    return b.hex()


def flip(data, index, mask=0x01):
    out = bytearray(data)
    out[index] ^= mask
    return bytes(out)


MESSAGE_HELLO = bytes.fromhex("05 00 03 00000000 00000005 00000000 0005 68656c6c6f".replace(" ", ""))
PING = bytes([0x01])
ACK_FLOOR_MAX = bytes.fromhex("04 3fffffffffffffff".replace(" ", ""))

packets = []


def add_packet(name, description, mode, direction, hdr, payload):
    datagram = seal(mode, direction, hdr, payload)
    packets.append({
        "name": name, "description": description, "mode": mode, "direction": direction,
        "packet_number": str(struct.unpack(">Q", hdr[11:19])[0]),
        "header": h(hdr), "payload": h(payload), "datagram": h(datagram),
    })
    return datagram


c2s_header = header(SERVER_CID, 5)
auth = add_packet("authenticated-client-message", "Client to server, authenticated: a MESSAGE frame \"hello\" in clear, then the tag over header and payload.",
                  "authenticated", "client_to_server", c2s_header, MESSAGE_HELLO)
enc = add_packet("encrypted-client-message", "Client to server, encrypted: the same packet as authenticated-client-message; the payload is encrypted and differs from it.",
                 "encrypted", "client_to_server", c2s_header, MESSAGE_HELLO)
s2c_header = header(CLIENT_CID, 7)
add_packet("authenticated-server-ping", "Server to client, authenticated: a PING frame.", "authenticated", "server_to_client", s2c_header, PING)
s2c_enc = add_packet("encrypted-server-ping", "Server to client, encrypted: a PING frame (one encrypted byte).", "encrypted", "server_to_client", s2c_header, PING)
max_header = header(SERVER_CID, (1 << 62) - 1)
add_packet("encrypted-last-packet-number", "Client to server, encrypted, packet number 2^62 - 1: the last number a key may seal.",
           "encrypted", "client_to_server", max_header, ACK_FLOOR_MAX)
add_packet("authenticated-empty-payload", "Client to server, authenticated, header only (no frames): the protection layer does not parse the packet.",
           "authenticated", "client_to_server", header(SERVER_CID, 0), b"")

invalid = []


def add_invalid(name, description, mode, direction, datagram, error):
    invalid.append({"name": name, "description": description, "mode": mode, "direction": direction,
                    "datagram": h(datagram), "error": error})


add_invalid("authenticated-flipped-header-bit", "authenticated-client-message with one bit of the destination flipped.",
            "authenticated", "client_to_server", flip(auth, 5), "authenticationFailed")
add_invalid("authenticated-flipped-payload-bit", "authenticated-client-message with one bit of the clear payload flipped (the 'h' of hello).",
            "authenticated", "client_to_server", flip(auth, 19 + 18, 0x20), "authenticationFailed")
add_invalid("authenticated-flipped-tag-bit", "authenticated-client-message with the last bit of the tag flipped.",
            "authenticated", "client_to_server", flip(auth, len(auth) - 1), "authenticationFailed")
add_invalid("authenticated-packet-number-changed", "authenticated-client-message with its packet number changed from 5 to 6 (changes the nonce and the associated data).",
            "authenticated", "client_to_server", auth[:18] + bytes([6]) + auth[19:], "authenticationFailed")
add_invalid("encrypted-flipped-header-bit", "encrypted-client-message with one bit of the version byte flipped.",
            "encrypted", "client_to_server", flip(enc, 0), "authenticationFailed")
add_invalid("encrypted-flipped-ciphertext-bit", "encrypted-client-message with one bit of the first ciphertext byte flipped.",
            "encrypted", "client_to_server", flip(enc, 19), "authenticationFailed")
add_invalid("encrypted-flipped-tag-bit", "encrypted-client-message with the first bit of the tag flipped.",
            "encrypted", "client_to_server", flip(enc, len(enc) - 16, 0x80), "authenticationFailed")
add_invalid("encrypted-wrong-direction", "encrypted-server-ping opened as a client-to-server packet (other key, other nonce).",
            "encrypted", "client_to_server", s2c_enc, "authenticationFailed")
add_invalid("authenticated-opened-as-encrypted", "authenticated-client-message opened in encrypted mode.",
            "encrypted", "client_to_server", auth, "authenticationFailed")
add_invalid("encrypted-opened-as-authenticated", "encrypted-client-message opened in authenticated mode.",
            "authenticated", "client_to_server", enc, "authenticationFailed")
add_invalid("encrypted-tag-removed", "encrypted-client-message without its last byte: the tag is cut short, the rest is taken as tag.",
            "encrypted", "client_to_server", enc[:-1], "authenticationFailed")
add_invalid("encrypted-truncated", "34 bytes: shorter than a header and a tag.",
            "encrypted", "client_to_server", enc[:34], "truncated")
add_invalid("encrypted-packet-number-too-large", "encrypted-client-message with packet number field 2^62 (not a valid packet number).",
            "encrypted", "client_to_server", enc[:11] + be64(1 << 62) + enc[19:], "invalidPacketNumber")

connect_packet = bytes.fromhex(
    "02 01 00 0000000000000000 0000000000000000 0123456789abcdef 04b0 00100000 0000000000400000 08 2000 1388 00".replace(" ", ""))
accept_packet = bytes.fromhex(
    "02 02 00 0123456789abcdef 0000000000000000 fedcba9876543210 04b0 00100000 0000000000400000 08 2000 1388".replace(" ", ""))
handshake_tags = [
    {"name": "connect-tag", "description": "HMAC-SHA-512-256 of the CONNECT packet connect-default-parameters (handshake.json) under the connect key, first 16 bytes.",
     "key": "connect", "message": h(connect_packet), "tag": h(crypto_auth(connect_key, connect_packet)[:16])},
    {"name": "accept-tag", "description": "HMAC-SHA-512-256 of an ACCEPT packet (server ID fedcba9876543210, default parameters) under the handshake key, first 16 bytes.",
     "key": "handshake", "message": h(accept_packet), "tag": h(crypto_auth(keys["handshake"], accept_packet)[:16])},
    {"name": "empty-tag", "description": "The tag of the empty message under the handshake key.",
     "key": "handshake", "message": "", "tag": h(crypto_auth(keys["handshake"], b"")[:16])},
]

address = bytes.fromhex("7f000001" "1151")  # 127.0.0.1 port 4433, as the caller encodes it
timestamp = 1_000_000_000
cookie = be64(timestamp) + crypto_auth(COOKIE_SECRET, address + be64(CLIENT_CID) + be64(timestamp))[:16]
lifetime = 10_000_000_000
cookies = [{
    "name": "cookie-loopback",
    "description": "A cookie for 127.0.0.1:4433 (address bytes 7f000001 1151) and client connection ID 0123456789abcdef, issued at 1 s with a 10 s lifetime.",
    "secret": h(COOKIE_SECRET),
    "address": h(address),
    "client_connection_id": "%016x" % CLIENT_CID,
    "timestamp": str(timestamp),
    "lifetime": str(lifetime),
    "cookie": h(cookie),
    "checks": [
        {"address": h(address), "client_connection_id": "%016x" % CLIENT_CID, "at": str(timestamp), "result": "valid"},
        {"address": h(address), "client_connection_id": "%016x" % CLIENT_CID, "at": str(timestamp + lifetime), "result": "valid"},
        {"address": h(address), "client_connection_id": "%016x" % CLIENT_CID, "at": str(timestamp + lifetime + 1), "result": "expiredCookie"},
        {"address": h(address), "client_connection_id": "%016x" % CLIENT_CID, "at": str(timestamp - 1), "result": "expiredCookie"},
        {"address": h(bytes.fromhex("7f000001" "1152")), "client_connection_id": "%016x" % CLIENT_CID, "at": str(timestamp), "result": "invalidCookie"},
        {"address": h(address), "client_connection_id": "%016x" % (CLIENT_CID + 1), "at": str(timestamp), "result": "invalidCookie"},
    ],
}]



# The whole secure handshake of PROTOCOL.md section 20 (wire formats 20.2), both modes: every
# datagram with its tag, made with the key schedule above, the cookie above and fixed randoms.
CLIENT_PARAMS = bytes.fromhex("0123456789abcdef 04b0 00100000 0000000000400000 08 2000 1388".replace(" ", ""))
SERVER_PARAMS = bytes.fromhex("fedcba9876543210 04b0 00100000 0000000000400000 08 2000 1388".replace(" ", ""))


def secure_header(packet_type, flags, destination, pn):
    return bytes([VERSION, packet_type, flags]) + be64(destination) + be64(pn)


def secure_connect(flags, pn, cookie_bytes):
    packet = secure_header(0x01, flags, 0, pn) + CLIENT_PARAMS + CLIENT_RANDOM + bytes([len(cookie_bytes)]) + cookie_bytes
    packet += bytes(1184 - len(packet))
    return packet + crypto_auth(connect_key, packet)[:16]


def exchange(mode):
    flags = 0x03 if mode == "encrypted" else 0x01
    steps = []

    def step(name, description, direction, datagram):
        steps.append({"name": name, "description": description, "direction": direction, "datagram": h(datagram)})

    step("connect", "CONNECT, packet number 0, no cookie, padded to 1,184 bytes, connect-key tag: 1,200 bytes.",
         "client_to_server", secure_connect(flags, 0, b""))
    retry = secure_header(0x04, flags, CLIENT_CID, 0) + bytes([len(cookie)]) + cookie
    step("retry", "RETRY to the client's connection ID with cookie-loopback (issued at 1 s for 127.0.0.1:4433), connect-key tag: 60 bytes.",
         "server_to_client", retry + crypto_auth(connect_key, retry)[:16])
    step("connect-with-cookie", "CONNECT, packet number 1, echoing the cookie: 1,200 bytes.",
         "client_to_server", secure_connect(flags, 1, cookie))
    accept = secure_header(0x02, flags, CLIENT_CID, 0) + SERVER_PARAMS + SERVER_RANDOM
    step("accept", "ACCEPT, packet number 0: server parameters and server_random, tag under the handshake key: 94 bytes.",
         "server_to_client", accept + crypto_auth(keys["handshake"], accept)[:16])
    step("client-data", "The client's first DATA, packet number 2: MESSAGE \"hello\", protected with the client-to-server key.",
         "client_to_server", seal(mode, "client_to_server", secure_header(0x03, flags, SERVER_CID, 2), MESSAGE_HELLO))
    step("server-data", "The server's first DATA, packet number 1: PING, protected with the server-to-client key.",
         "server_to_client", seal(mode, "server_to_client", secure_header(0x03, flags, CLIENT_CID, 1), PING))
    return {"name": mode + "-exchange", "mode": mode, "flags": flags, "client_address": h(address),
            "cookie_secret": h(COOKIE_SECRET), "cookie_issued_at": str(timestamp), "datagrams": steps}


handshake_exchange = [exchange("authenticated"), exchange("encrypted")]

document = {
    "description": "Security vectors (Specs/SECURITY.md) made with the fixed test PSK 00 01 .. 1f. Generated by generate.py with Python's hashlib, hmac and the cryptography package, independently of the Swift implementation. Format: Specs/vectors/README.md, section 'Security vectors'.",
    "psk": h(PSK),
    "key_schedule": {
        "client_random": h(CLIENT_RANDOM),
        "server_random": h(SERVER_RANDOM),
        "client_connection_id": "%016x" % CLIENT_CID,
        "server_connection_id": "%016x" % SERVER_CID,
        "master_key": h(master),
        "client_to_server_key": h(keys["client_to_server"]),
        "server_to_client_key": h(keys["server_to_client"]),
        "handshake_key": h(keys["handshake"]),
        "connect_key": h(connect_key),
    },
    "packets": packets,
    "invalid_packets": invalid,
    "handshake_tags": handshake_tags,
    "cookies": cookies,
    "handshake_exchange": handshake_exchange,
}

with open("security.json", "w") as f:
    json.dump(document, f, indent=2)
    f.write("\n")

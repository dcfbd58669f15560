-- Wireshark dissector for RUDP wire version 2 (Specs/PROTOCOL.md, Specs/SECURITY.md).
--
--   tshark -X lua_script:Specs/wireshark/rudp.lua -r capture.pcap -V
--   wireshark -X lua_script:Specs/wireshark/rudp.lua capture.pcap
--
-- or copy this file into Wireshark's personal Lua plugins folder (Help > About Wireshark >
-- Folders > Personal Lua Plugins, usually ~/.local/lib/wireshark/plugins/).
--
-- The protocol's filter name is `rudp2` (display filter `rudp2`, fields `rudp2.*`): Wireshark
-- already ships an unrelated "Reliable UDP" dissector called `rudp`.
--
-- What it shows:
--   * every packet type: CONNECT, ACCEPT, DATA and RETRY, plain (flags 0x00, CRC-32C trailer) and
--     secure (flags 0x01 authenticated / 0x03 encrypted, 16-byte tag);
--   * every frame of a plain DATA packet (and of an authenticated one, whose payload is in clear):
--     PING, ACK (ranges decoded into packet-number intervals), MAX_DATA, ACK_FLOOR, MESSAGE,
--     CLOSE (code names, reason), PATH_CHALLENGE, PATH_RESPONSE;
--   * the secure CONNECT's clear fields (parameters, client_random, cookie, padding), the secure
--     ACCEPT's server_random; an encrypted DATA payload as opaque bytes; the tag (not verified:
--     the dissector has no keys);
--   * the CRC-32C trailer of a plain datagram and whether it matches;
--   * a malformed datagram as an expert-info error named like the errors of PROTOCOL.md 6.1
--     (`truncated`, `checksumMismatch`, `unknownFrameType`, ...; field `rudp2.error`, and
--     `_ws.malformed` matches), found in the order of checks of PROTOCOL.md 6.2.
--
-- Registration: the UDP ports of the preference "UDP ports" (default 9000-9001, the README's
-- server and proxy ports), and a heuristic dissector for any other port that accepts a datagram
-- only if its header is version 0x02, type 1-4, flags 0x00/0x01/0x03 and its size fits the type
-- (plain CONNECT 51 + cookie, ACCEPT 50, RETRY 24 + cookie, DATA at least 24 with a known first
-- frame type; secure CONNECT 1,200, ACCEPT 94, RETRY 36 + cookie, DATA at least 36). Once a
-- datagram was accepted heuristically, the rest of its UDP conversation is decoded as RUDP.
--
-- Checked with tshark 4.0 (Lua 5.2, bit32) by Tests/RUDPCoreTests/Dissector*Tests.swift; the bit
-- operations fall back to Lua 5.3/5.4's operators for later Wireshark versions.

local rudp = Proto("RUDP2", "RUDP, reliable messaging over UDP (wire version 2)")

---------------------------------------------------------------------------------------------------
-- Constants (PROTOCOL.md sections 3 to 6, 17.1)

local VERSION = 0x02
local HEADER_SIZE = 19
local CRC_SIZE = 4
local TAG_SIZE = 16
local MAX_DATAGRAM = 65507
local PARAMETERS_SIZE = 27
local RANDOM_SIZE = 32
local SECURE_CONNECT_PACKET = 1184 -- 1,200-byte datagram with its tag
local MAX_ACK_RANGES = 32
local MAX_CLOSE_REASON = 200

local packet_types = { [1] = "CONNECT", [2] = "ACCEPT", [3] = "DATA", [4] = "RETRY" }
local flag_names = { [0] = "plain", [1] = "authenticated", [3] = "encrypted" }
local frame_types = {
    [1] = "PING", [2] = "ACK", [3] = "MAX_DATA", [4] = "ACK_FLOOR", [5] = "MESSAGE", [6] = "CLOSE",
    [7] = "PATH_CHALLENGE", [8] = "PATH_RESPONSE",
}
local message_modes = { [0] = "unreliable", [1] = "reliable-unordered", [3] = "reliable-ordered" }
local message_mode_short = { [0] = "u", [1] = "ru", [3] = "ro" }
-- PROTOCOL.md 5.6
local close_codes = {
    [0] = "normal", [1] = "aborted", [2] = "protocol violation", [3] = "flow-control violation",
    [4] = "server shutdown", [5] = "refused", [6] = "security required",
    [7] = "security not configured", [8] = "security mode mismatch", [9] = "application idle",
    [10] = "resource limit",
}
-- PROTOCOL.md 6.1, in table order
local error_names = {
    "oversize", "truncated", "checksumMismatch", "unsupportedVersion", "unknownPacketType",
    "invalidFlags", "zeroConnectionID", "valueOutOfRange", "invalidTransportParameter",
    "trailingBytes", "invalidPadding", "emptyPacket", "unknownFrameType", "tooManyAckRanges",
    "invalidAckRanges", "invalidFragment", "invalidCloseReason",
}

---------------------------------------------------------------------------------------------------
-- Fields

local f = {
    -- header (3.2)
    header = ProtoField.none("rudp2.header", "Header"),
    version = ProtoField.uint8("rudp2.version", "Version", base.HEX),
    type = ProtoField.uint8("rudp2.type", "Type", base.HEX, packet_types),
    flags = ProtoField.uint8("rudp2.flags", "Flags", base.HEX, flag_names),
    flag_protected = ProtoField.bool("rudp2.flags.protected", "Protected", 8, nil, 0x01),
    flag_encrypted = ProtoField.bool("rudp2.flags.encrypted", "Encrypted", 8, nil, 0x02),
    dcid = ProtoField.uint64("rudp2.dcid", "Destination connection ID", base.HEX),
    pn = ProtoField.uint64("rudp2.pn", "Packet number", base.DEC),
    -- transport parameters (4.3)
    params = ProtoField.none("rudp2.params", "Transport parameters"),
    scid = ProtoField.uint64("rudp2.params.scid", "source_connection_id", base.HEX),
    max_datagram_size = ProtoField.uint16("rudp2.params.max_datagram_size", "max_datagram_size", base.DEC),
    max_message_size = ProtoField.uint32("rudp2.params.max_message_size", "max_message_size", base.DEC),
    initial_max_data = ProtoField.uint64("rudp2.params.initial_max_data", "initial_max_data", base.DEC),
    channel_count = ProtoField.uint8("rudp2.params.channel_count", "channel_count", base.DEC),
    message_window = ProtoField.uint16("rudp2.params.message_window", "message_window", base.DEC),
    max_ack_delay = ProtoField.uint16("rudp2.params.max_ack_delay", "max_ack_delay (µs)", base.DEC),
    -- handshake bodies (4.1, 4.5, 20.2)
    cookie_length = ProtoField.uint8("rudp2.cookie_length", "Cookie length", base.DEC),
    cookie = ProtoField.bytes("rudp2.cookie", "Cookie"),
    client_random = ProtoField.bytes("rudp2.client_random", "client_random"),
    server_random = ProtoField.bytes("rudp2.server_random", "server_random"),
    padding = ProtoField.bytes("rudp2.padding", "Padding"),
    -- DATA (4.4) and frames (5)
    frames = ProtoField.none("rudp2.frames", "Frames"),
    frame_count = ProtoField.uint16("rudp2.frame_count", "Frames", base.DEC),
    frame = ProtoField.none("rudp2.frame", "Frame"),
    frame_type = ProtoField.uint8("rudp2.frame.type", "Frame type", base.HEX, frame_types),
    ack_cumulative = ProtoField.uint64("rudp2.ack.cumulative", "Cumulative", base.DEC),
    ack_delay = ProtoField.uint32("rudp2.ack.delay", "ACK delay (µs)", base.DEC),
    ack_range_count = ProtoField.uint8("rudp2.ack.range_count", "Range count", base.DEC),
    ack_largest = ProtoField.uint64("rudp2.ack.largest", "Largest acknowledged", base.DEC),
    ack_first_range_length = ProtoField.uint32("rudp2.ack.first_range_length", "First range length", base.DEC),
    ack_gap = ProtoField.uint32("rudp2.ack.gap", "Gap", base.DEC),
    ack_range_length = ProtoField.uint32("rudp2.ack.range_length", "Range length", base.DEC),
    ack_range = ProtoField.string("rudp2.ack.range", "Acknowledged range"),
    ack_range_lower = ProtoField.uint64("rudp2.ack.range.lower", "Lowest packet number", base.DEC),
    ack_range_upper = ProtoField.uint64("rudp2.ack.range.upper", "Highest packet number", base.DEC),
    max_data = ProtoField.uint64("rudp2.max_data", "Maximum data", base.DEC),
    ack_floor = ProtoField.uint64("rudp2.ack_floor", "Floor", base.DEC),
    msg_channel = ProtoField.uint8("rudp2.msg.channel", "Channel", base.DEC),
    msg_mode = ProtoField.uint8("rudp2.msg.mode", "Delivery mode", base.HEX, message_modes),
    msg_sequence = ProtoField.uint32("rudp2.msg.sequence", "Sequence", base.DEC),
    msg_total_length = ProtoField.uint32("rudp2.msg.total_length", "Total length", base.DEC),
    msg_offset = ProtoField.uint32("rudp2.msg.offset", "Offset", base.DEC),
    msg_length = ProtoField.uint16("rudp2.msg.length", "Length", base.DEC),
    msg_payload = ProtoField.bytes("rudp2.msg.payload", "Payload"),
    close_code = ProtoField.uint16("rudp2.close.code", "Code", base.DEC, close_codes),
    close_reason_length = ProtoField.uint8("rudp2.close.reason_length", "Reason length", base.DEC),
    close_reason = ProtoField.string("rudp2.close.reason", "Reason"),
    close_reason_bytes = ProtoField.bytes("rudp2.close.reason_bytes", "Reason (not valid UTF-8)"),
    path_challenge = ProtoField.bytes("rudp2.path_challenge.data", "Challenge data"),
    path_response = ProtoField.bytes("rudp2.path_response.data", "Response data"),
    -- protection (20) and trailer (3.1)
    protected_payload = ProtoField.bytes("rudp2.protected_payload", "Encrypted payload"),
    tag = ProtoField.bytes("rudp2.tag", "Tag"),
    crc = ProtoField.uint32("rudp2.crc", "CRC-32C", base.HEX),
    crc_computed = ProtoField.uint32("rudp2.crc.computed", "Computed CRC-32C", base.HEX),
    crc_status = ProtoField.uint8("rudp2.crc.status", "CRC-32C status", base.DEC, { [0] = "Bad", [1] = "Good", [2] = "Unverified" }),
    unparsed = ProtoField.bytes("rudp2.unparsed", "Packet (not parsed)"),
    error = ProtoField.string("rudp2.error", "Error"),
}
local field_list = {}
for _, field in pairs(f) do field_list[#field_list + 1] = field end
rudp.fields = field_list

local experts = {}
local expert_list = {}
for _, name in ipairs(error_names) do
    local group = expert.group.MALFORMED
    if name == "checksumMismatch" then group = expert.group.CHECKSUM end
    experts[name] = ProtoExpert.new("rudp2.error." .. name, name, group, expert.severity.ERROR)
    expert_list[#expert_list + 1] = experts[name]
end
-- Sender rules a parser does not enforce (the packet is valid, but its sender broke a MUST).
local warn_after_close = ProtoExpert.new("rudp2.warning.frame_after_close", "frame after CLOSE (the receiver ignores it, 5)",
    expert.group.PROTOCOL, expert.severity.WARN)
local warn_connect_destination = ProtoExpert.new("rudp2.warning.connect_destination", "CONNECT with a non-zero destination (3.2)",
    expert.group.PROTOCOL, expert.severity.WARN)
local warn_retry_pn = ProtoExpert.new("rudp2.warning.retry_packet_number", "RETRY with a non-zero packet number (4.5)",
    expert.group.PROTOCOL, expert.severity.WARN)
local note_unverified = ProtoExpert.new("rudp2.tag.unverified", "tag not verified (no keys)",
    expert.group.SECURITY, expert.severity.CHAT)
expert_list[#expert_list + 1] = warn_after_close
expert_list[#expert_list + 1] = warn_connect_destination
expert_list[#expert_list + 1] = warn_retry_pn
expert_list[#expert_list + 1] = note_unverified
rudp.experts = expert_list

---------------------------------------------------------------------------------------------------
-- Preferences

rudp.prefs.ports = Pref.range("UDP ports", "9000-9001", "UDP ports decoded as RUDP (other ports: the heuristic)", 65535)
rudp.prefs.heuristic = Pref.bool("Heuristic on other ports", true,
    "Decode UDP datagrams on any port whose header and size look like RUDP wire version 2")
rudp.prefs.decode_authenticated = Pref.bool("Decode authenticated payloads", true,
    "Decode the frames of authenticated DATA packets (flags 0x01: the payload is in clear; the tag is not verified)")
rudp.prefs.decode_bad_checksum = Pref.bool("Decode despite a bad CRC-32C", false,
    "Parse a plain packet whose CRC-32C trailer does not match (a receiver drops it unparsed, PROTOCOL.md 3.1)")

---------------------------------------------------------------------------------------------------
-- Bit operations and CRC-32C (PROTOCOL.md 3.1)

local band, bxor, rshift
if bit32 then
    band, bxor, rshift = bit32.band, bit32.bxor, bit32.rshift
else -- Lua 5.3+: native integer operators (compiled at run time so that Lua 5.2 can load this file)
    band = load("return function(a, b) return a & b end")()
    bxor = load("return function(a, b) return a ~ b end")()
    rshift = load("return function(a, n) return (a & 0xFFFFFFFF) >> n end")()
end

local crc_table = {}
for i = 0, 255 do
    local c = i
    for _ = 1, 8 do
        if band(c, 1) ~= 0 then c = bxor(rshift(c, 1), 0x82F63B78) else c = rshift(c, 1) end
    end
    crc_table[i] = c
end

local function crc32c(s)
    local crc = 0xFFFFFFFF
    local n = #s
    local i = 1
    while i <= n do
        local j = math.min(i + 255, n)
        local bytes = { s:byte(i, j) }
        for k = 1, #bytes do
            crc = bxor(crc_table[band(bxor(crc, bytes[k]), 0xFF)], rshift(crc, 8))
        end
        i = j + 1
    end
    crc = bxor(crc, 0xFFFFFFFF)
    if crc < 0 then crc = crc + 4294967296 end
    return crc
end

---------------------------------------------------------------------------------------------------
-- Helpers

-- Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
local function valid_utf8(s)
    local i, n = 1, #s
    while i <= n do
        local c = s:byte(i)
        if c < 0x80 then
            i = i + 1
        elseif c >= 0xC2 and c <= 0xDF then
            local c2 = s:byte(i + 1)
            if not c2 or c2 < 0x80 or c2 > 0xBF then return false end
            i = i + 2
        elseif c >= 0xE0 and c <= 0xEF then
            local c2, c3 = s:byte(i + 1, i + 2)
            if not c3 then return false end
            local lo, hi = 0x80, 0xBF
            if c == 0xE0 then lo = 0xA0 elseif c == 0xED then hi = 0x9F end
            if c2 < lo or c2 > hi or c3 < 0x80 or c3 > 0xBF then return false end
            i = i + 3
        elseif c >= 0xF0 and c <= 0xF4 then
            local c2, c3, c4 = s:byte(i + 1, i + 3)
            if not c4 then return false end
            local lo, hi = 0x80, 0xBF
            if c == 0xF0 then lo = 0x90 elseif c == 0xF4 then hi = 0x8F end
            if c2 < lo or c2 > hi or c3 < 0x80 or c3 > 0xBF or c4 < 0x80 or c4 > 0xBF then return false end
            i = i + 4
        else
            return false
        end
    end
    return true
end

local function hex(s)
    return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function u64(n) return UInt64.new(n) end

-- A parse failure: raised with error(), caught in dissect(), shown as expert info.
local function fail(name, detail, offset, length)
    error({ rudp_error = name, detail = detail, offset = offset, length = length or 0 }, 0)
end

-- Reads fields of the packet, never past `limit` (the start of the trailer or tag).
local Reader = {}
Reader.__index = Reader

local function reader(tvb, pos, limit)
    return setmetatable({ tvb = tvb, pos = pos, limit = limit }, Reader)
end

function Reader:left() return self.limit - self.pos end

function Reader:need(n, what)
    if self.pos + n > self.limit then
        fail("truncated", string.format("%s needs %d byte(s) at offset %d, %d left", what, n, self.pos, self:left()),
            self.pos, self:left())
    end
end

-- Takes n bytes: returns their TvbRange and offset.
function Reader:take(n, what)
    self:need(n, what)
    local at = self.pos
    self.pos = self.pos + n
    return self.tvb(at, n), at
end

-- A 62-bit field (2.2): adds it to the tree, then fails if the top two bits are set.
function Reader:uint62(tree, field, what)
    local range, at = self:take(8, what)
    local item = tree:add(field, range)
    if range:range(0, 1):uint() >= 0x40 then
        fail("valueOutOfRange", what .. " is 2^62 or more", at, 8)
    end
    return range:uint64(), item
end

---------------------------------------------------------------------------------------------------
-- Transport parameters (4.3; order of checks 6.2 step 4)

local function parse_parameters(r, tree)
    local start = r.pos
    local sub = tree:add(f.params, r.tvb(start, math.min(PARAMETERS_SIZE, r:left())))
    local scid_range, scid_at = r:take(8, "source_connection_id")
    sub:add(f.scid, scid_range)
    local scid = scid_range:uint64()
    if scid == u64(0) then fail("zeroConnectionID", "source_connection_id is 0", scid_at, 8) end
    local mds_range, mds_at = r:take(2, "max_datagram_size")
    sub:add(f.max_datagram_size, mds_range)
    local mms_range = r:take(4, "max_message_size")
    sub:add(f.max_message_size, mms_range)
    r:uint62(sub, f.initial_max_data, "initial_max_data")
    local cc_range, cc_at = r:take(1, "channel_count")
    sub:add(f.channel_count, cc_range)
    local mw_range, mw_at = r:take(2, "message_window")
    sub:add(f.message_window, mw_range)
    local mad_range = r:take(2, "max_ack_delay")
    sub:add(f.max_ack_delay, mad_range)
    local mds = mds_range:uint()
    if mds < 256 or mds > MAX_DATAGRAM then
        fail("invalidTransportParameter", "max_datagram_size " .. mds .. " is outside [256, 65507]", mds_at, 2)
    end
    if cc_range:uint() == 0 then fail("invalidTransportParameter", "channel_count is 0", cc_at, 1) end
    if mw_range:uint() == 0 then fail("invalidTransportParameter", "message_window is 0", mw_at, 2) end
    sub:append_text(string.format(": scid %s, mds %d, initial_max_data %s", scid:tohex(), mds, tostring(r.tvb(start + 14, 8):uint64())))
    return scid
end

local function parse_cookie(r, tree)
    local len_range = r:take(1, "cookie_length")
    local c = len_range:uint()
    local item = tree:add(f.cookie_length, len_range)
    if c == 0 then item:append_text(" (no cookie)") end
    local cookie_range = r:take(c, "cookie of " .. c .. " byte(s)")
    if c > 0 then tree:add(f.cookie, cookie_range) end
    return c
end

local function expect_end(r, what)
    if r:left() > 0 then
        fail("trailingBytes", string.format("%d byte(s) after %s", r:left(), what), r.pos, r:left())
    end
end

---------------------------------------------------------------------------------------------------
-- Frames (5; order of checks 6.2 step 6)

local frame_parsers = {}

frame_parsers[1] = function() return "PING" end

frame_parsers[2] = function(r, sub) -- ACK (5.2)
    local cumulative = r:uint62(sub, f.ack_cumulative, "ACK cumulative")
    sub:add(f.ack_delay, (r:take(4, "ACK ack_delay")))
    local count_range, count_at = r:take(1, "ACK range_count")
    sub:add(f.ack_range_count, count_range)
    local n = count_range:uint()
    if n > MAX_ACK_RANGES then
        fail("tooManyAckRanges", n .. " ranges (at most " .. MAX_ACK_RANGES .. ")", count_at, 1)
    end
    local ranges = {}
    local lower, upper
    if n >= 1 then
        local range_start = r.pos
        local largest = r:uint62(sub, f.ack_largest, "ACK largest_acknowledged")
        local first_range, first_at = r:take(4, "ACK first_range_length")
        sub:add(f.ack_first_range_length, first_range)
        local length = u64(first_range:uint())
        if length > largest then
            fail("invalidAckRanges", "first range reaches below packet number 0", first_at, 4)
        end
        upper, lower = largest, largest - length
        local item = sub:add(f.ack_range, r.tvb(range_start, 12), "[" .. tostring(lower) .. ", " .. tostring(upper) .. "]")
        item:add(f.ack_range_lower, r.tvb(range_start, 12), lower):set_generated()
        item:add(f.ack_range_upper, r.tvb(range_start, 12), upper):set_generated()
        ranges[#ranges + 1] = { lower, upper }
        for i = 2, n do
            local gap_range, gap_at = r:take(4, "ACK gap of range " .. i)
            sub:add(f.ack_gap, gap_range)
            local len_range = r:take(4, "ACK length of range " .. i)
            sub:add(f.ack_range_length, len_range)
            local gap = u64(gap_range:uint())
            local len = u64(len_range:uint())
            if lower < gap + u64(2) then
                fail("invalidAckRanges", "range " .. i .. " reaches below packet number 0", gap_at, 8)
            end
            upper = lower - gap - u64(2)
            if len > upper then
                fail("invalidAckRanges", "range " .. i .. " reaches below packet number 0", gap_at, 8)
            end
            lower = upper - len
            local it = sub:add(f.ack_range, r.tvb(gap_at, 8), "[" .. tostring(lower) .. ", " .. tostring(upper) .. "]")
            it:add(f.ack_range_lower, r.tvb(gap_at, 8), lower):set_generated()
            it:add(f.ack_range_upper, r.tvb(gap_at, 8), upper):set_generated()
            ranges[#ranges + 1] = { lower, upper }
        end
        -- rule 4, checked once every range is read
        if lower <= cumulative then
            fail("invalidAckRanges", "the lowest range does not lie above the cumulative point " .. tostring(cumulative),
                range_start, r.pos - range_start)
        end
    end
    local text = "ACK(cum " .. tostring(cumulative)
    for i, range in ipairs(ranges) do
        if i > 3 then text = text .. " …" .. (#ranges - 3) .. " more"; break end
        text = text .. " [" .. tostring(range[1]) .. "-" .. tostring(range[2]) .. "]"
    end
    sub:append_text(": cumulative " .. tostring(cumulative) .. ", " .. n .. " range(s)")
    return text .. ")"
end

frame_parsers[3] = function(r, sub) -- MAX_DATA (5.3)
    local value = r:uint62(sub, f.max_data, "MAX_DATA")
    sub:append_text(": " .. tostring(value))
    return "MAX_DATA(" .. tostring(value) .. ")"
end

frame_parsers[4] = function(r, sub) -- ACK_FLOOR (5.4)
    local value = r:uint62(sub, f.ack_floor, "ACK_FLOOR")
    sub:append_text(": " .. tostring(value))
    return "ACK_FLOOR(" .. tostring(value) .. ")"
end

frame_parsers[5] = function(r, sub) -- MESSAGE (5.5)
    local channel_range = r:take(1, "MESSAGE channel")
    sub:add(f.msg_channel, channel_range)
    local mode_range, mode_at = r:take(1, "MESSAGE flags")
    sub:add(f.msg_mode, mode_range)
    local mode = mode_range:uint()
    if not message_modes[mode] then
        fail("invalidFlags", string.format("MESSAGE flags 0x%02x (valid: 0x00, 0x01, 0x03)", mode), mode_at, 1)
    end
    local seq_range = r:take(4, "MESSAGE sequence")
    sub:add(f.msg_sequence, seq_range)
    local total_range = r:take(4, "MESSAGE total_length")
    sub:add(f.msg_total_length, total_range)
    local offset_range = r:take(4, "MESSAGE offset")
    sub:add(f.msg_offset, offset_range)
    local length_range = r:take(2, "MESSAGE length")
    sub:add(f.msg_length, length_range)
    local length = length_range:uint()
    local payload_range, payload_at = r:take(length, "MESSAGE payload of " .. length .. " byte(s)")
    if length > 0 then sub:add(f.msg_payload, payload_range) end
    local total, offset = total_range:uint(), offset_range:uint()
    local fits
    if length == 0 then fits = (total == 0 and offset == 0) else fits = (offset + length <= total) end
    if not fits then
        fail("invalidFragment", string.format("bytes [%d, %d) do not lie inside a message of %d", offset, offset + length, total),
            payload_at - 16, 16 + length)
    end
    local channel, seq = channel_range:uint(), seq_range:uint()
    sub:append_text(string.format(": channel %d, %s, sequence %d, bytes [%d, %d) of %d", channel, message_modes[mode], seq,
        offset, offset + length, total))
    if offset == 0 and length == total then
        return string.format("MESSAGE(ch%d %s #%d %dB)", channel, message_mode_short[mode], seq, total)
    end
    return string.format("MESSAGE(ch%d %s #%d %d+%d/%d)", channel, message_mode_short[mode], seq, offset, length, total)
end

frame_parsers[6] = function(r, sub) -- CLOSE (5.6)
    local code_range = r:take(2, "CLOSE code")
    sub:add(f.close_code, code_range)
    local len_range, len_at = r:take(1, "CLOSE reason_length")
    sub:add(f.close_reason_length, len_range)
    local n = len_range:uint()
    if n > MAX_CLOSE_REASON then
        fail("invalidCloseReason", "reason_length " .. n .. " is above " .. MAX_CLOSE_REASON, len_at, 1)
    end
    local reason_range, reason_at = r:take(n, "CLOSE reason of " .. n .. " byte(s)")
    local code = code_range:uint()
    local name = close_codes[code] or ("code " .. code)
    local text = "CLOSE(" .. name
    if n > 0 then
        local bytes = reason_range:raw()
        if not valid_utf8(bytes) then
            sub:add(f.close_reason_bytes, reason_range)
            fail("invalidCloseReason", "the reason is not valid UTF-8", reason_at, n)
        end
        sub:add_packet_field(f.close_reason, reason_range, ENC_UTF_8)
        if #bytes > 40 then bytes = bytes:sub(1, 40):gsub("[\128-\255]*$", "") .. "…" end
        text = text .. " \"" .. bytes .. "\""
    end
    sub:append_text(": " .. name .. " (" .. code .. ")")
    return text .. ")"
end

local function path_parser(field, name)
    return function(r, sub)
        local range = r:take(8, name .. " data")
        sub:add(field, range)
        local data = hex(range:raw())
        sub:append_text(": " .. data)
        return name .. "(" .. data .. ")"
    end
end
frame_parsers[7] = path_parser(f.path_challenge, "PATH_CHALLENGE")
frame_parsers[8] = path_parser(f.path_response, "PATH_RESPONSE")

local function parse_frames(r, tree, summary, started)
    local count = 0
    local closed = false
    while r:left() > 0 do
        local at = r.pos
        local type_range = r:take(1, "frame type")
        local t = type_range:uint()
        local sub = tree:add(f.frame, r.tvb(at, r.limit - at))
        started.count = started.count + 1
        sub:add(f.frame_type, type_range)
        local parser = frame_parsers[t]
        if not parser then
            sub:set_text(string.format("Unknown frame type 0x%02x", t))
            fail("unknownFrameType", string.format("frame type 0x%02x at offset %d", t, at), at, 1)
        end
        sub:set_text(frame_types[t])
        if closed then sub:add_proto_expert_info(warn_after_close) end
        summary[#summary + 1] = parser(r, sub)
        sub:set_len(r.pos - at)
        if t == 6 then closed = true end
        count = count + 1
    end
    if count == 0 then fail("emptyPacket", "DATA packet without frames", r.pos, 0) end
    return count
end

---------------------------------------------------------------------------------------------------
-- Packets (3.2, 4, 20.2)

-- Parses the packet in [0, limit) of tvb. Returns the column summary.
local function parse_packet(tvb, limit, tree, protected, flags_value, summary)
    local r = reader(tvb, 0, limit)
    local header = tree:add(f.header, tvb(0, math.min(HEADER_SIZE, limit)))
    local version_range, version_at = r:take(1, "header version")
    header:add(f.version, version_range)
    if version_range:uint() ~= VERSION then
        fail("unsupportedVersion", string.format("version 0x%02x (this is version 0x02)", version_range:uint()), version_at, 1)
    end
    local type_range, type_at = r:take(1, "header type")
    header:add(f.type, type_range)
    local t = type_range:uint()
    if not packet_types[t] then
        fail("unknownPacketType", string.format("type 0x%02x", t), type_at, 1)
    end
    summary.type = packet_types[t]
    local flags_range, flags_at = r:take(1, "header flags")
    local flags_item = header:add(f.flags, flags_range)
    flags_item:add(f.flag_protected, flags_range)
    flags_item:add(f.flag_encrypted, flags_range)
    local flags = flags_range:uint()
    if not flag_names[flags] then
        fail("invalidFlags", string.format("header flags 0x%02x (valid: 0x00, 0x01, 0x03)", flags), flags_at, 1)
    end
    local dcid_range, dcid_at = r:take(8, "header destination")
    header:add(f.dcid, dcid_range)
    local dcid = dcid_range:uint64()
    if dcid == u64(0) and t ~= 1 then
        fail("zeroConnectionID", "destination 0 in a " .. packet_types[t], dcid_at, 8)
    end
    local pn = r:uint62(header, f.pn, "packet number")
    summary.pn = tostring(pn)
    if t ~= 1 then summary.dcid = dcid:tohex() end
    header:append_text(string.format(": %s, %s, pn %s", packet_types[t], flag_names[flags], tostring(pn)))
    if t == 1 and dcid ~= u64(0) then header:add_proto_expert_info(warn_connect_destination) end
    if t == 4 and pn ~= u64(0) then header:add_proto_expert_info(warn_retry_pn) end

    if t == 1 and protected then -- secure CONNECT (20.2)
        local scid = parse_parameters(r, tree)
        tree:add(f.client_random, (r:take(RANDOM_SIZE, "client_random")))
        local c = parse_cookie(r, tree)
        if limit < SECURE_CONNECT_PACKET then
            fail("truncated", string.format("secure CONNECT packet of %d bytes (exactly %d)", limit, SECURE_CONNECT_PACKET), r.pos, r:left())
        end
        if limit > SECURE_CONNECT_PACKET then
            fail("trailingBytes", string.format("secure CONNECT packet of %d bytes (exactly %d)", limit, SECURE_CONNECT_PACKET),
                SECURE_CONNECT_PACKET, limit - SECURE_CONNECT_PACKET)
        end
        local padding_at = r.pos
        local padding = r.tvb(padding_at, r:left())
        local item = tree:add(f.padding, padding)
        item:set_text(string.format("Padding: %d bytes", r:left()))
        local bytes = padding:raw()
        local bad = bytes:find("[^\0]")
        if bad then
            fail("invalidPadding", string.format("padding byte at offset %d is not zero", padding_at + bad - 1), padding_at + bad - 1, 1)
        end
        item:append_text(", all zero")
        r.pos = r.limit
        summary.detail = "scid=" .. scid:tohex() .. (c > 0 and (" cookie=" .. c .. "B") or "")
    elseif t == 1 then -- plain CONNECT (4.1)
        local scid = parse_parameters(r, tree)
        local c = parse_cookie(r, tree)
        expect_end(r, "the cookie")
        summary.detail = "scid=" .. scid:tohex() .. (c > 0 and (" cookie=" .. c .. "B") or "")
    elseif t == 2 then -- ACCEPT (4.2, 20.2)
        local scid = parse_parameters(r, tree)
        if protected then
            tree:add(f.server_random, (r:take(RANDOM_SIZE, "server_random")))
            expect_end(r, "server_random")
        else
            expect_end(r, "the transport parameters")
        end
        summary.detail = "scid=" .. scid:tohex()
    elseif t == 4 then -- RETRY (4.5), both modes
        local c = parse_cookie(r, tree)
        expect_end(r, "the cookie")
        summary.detail = "cookie=" .. c .. "B"
    elseif flags == 3 then -- encrypted DATA: opaque
        if r:left() == 0 then fail("emptyPacket", "DATA packet without frames", r.pos, 0) end
        tree:add(f.protected_payload, r.tvb(r.pos, r:left())):append_text(string.format(" (%d bytes)", r:left()))
        summary.detail = string.format("encrypted payload %dB", r:left())
        r.pos = r.limit
    elseif flags == 1 and not rudp.prefs.decode_authenticated then
        if r:left() == 0 then fail("emptyPacket", "DATA packet without frames", r.pos, 0) end
        tree:add(f.protected_payload, r.tvb(r.pos, r:left())):set_text(string.format("Authenticated payload (%d bytes, not decoded)", r:left()))
        summary.detail = string.format("authenticated payload %dB", r:left())
        r.pos = r.limit
    else -- plain or authenticated DATA (4.4)
        local frames = {}
        local start = r.pos
        local frames_tree = tree:add(f.frames, r.tvb(start, r:left()))
        local started = { count = 0 }
        local ok, err = pcall(parse_frames, r, frames_tree, frames, started)
        frames_tree:set_text(string.format("Frames (%d)", started.count))
        frames_tree:add(f.frame_count, r.tvb(start, 0), started.count):set_generated()
        summary.frames = frames
        if not ok then error(err, 0) end
    end
end

---------------------------------------------------------------------------------------------------
-- Datagrams (3.1, 20.1)

local function add_error(tree, tvb, err)
    local name, detail = err.rudp_error, err.detail
    local offset = math.max(0, math.min(err.offset or 0, tvb:len()))
    local length = math.max(0, math.min(err.length or 0, tvb:len() - offset))
    local range = tvb(offset, length)
    tree:add(f.error, range, name)
    tree:add_tvb_expert_info(experts[name], range, name .. ": " .. detail)
end

local function summary_text(summary)
    local parts = { summary.type or "datagram" }
    if summary.flags and summary.flags ~= 0 then parts[#parts + 1] = "[" .. (flag_names[summary.flags] or "?") .. "]" end
    if summary.pn then parts[#parts + 1] = "pn=" .. summary.pn end
    if summary.dcid then parts[#parts + 1] = "dst=" .. summary.dcid end
    if summary.detail then parts[#parts + 1] = summary.detail end
    if summary.frames and #summary.frames > 0 then parts[#parts + 1] = table.concat(summary.frames, " ") end
    if summary.error then parts[#parts + 1] = "[" .. summary.error .. "]" end
    return table.concat(parts, " ")
end

local function add_trailer(root, tvb, protected, limit, crc)
    if protected then
        local tag_item = root:add(f.tag, tvb(limit, TAG_SIZE))
        local t = tvb(1, 1):uint()
        if t == 3 and tvb(2, 1):uint() == 1 then
            tag_item:append_text(" (Poly1305 over header and payload; not verified)")
        elseif t == 3 then
            tag_item:append_text(" (Poly1305 over header and ciphertext; not verified)")
        else
            tag_item:append_text(" (handshake tag, HMAC-SHA-512-256; not verified)")
        end
        tag_item:add_proto_expert_info(note_unverified)
    else
        local crc_item = root:add(f.crc, tvb(limit, CRC_SIZE))
        crc_item:add(f.crc_computed, tvb(limit, CRC_SIZE), crc.computed):set_generated()
        if crc.stored == crc.computed then
            crc_item:append_text(" [correct]")
        else
            crc_item:append_text(string.format(" [incorrect, should be 0x%08x]", crc.computed))
        end
        crc_item:add(f.crc_status, tvb(limit, CRC_SIZE), crc.stored == crc.computed and 1 or 0):set_generated()
    end
end

local function dissect(tvb, pinfo, tree)
    local size = tvb:len()
    pinfo.cols.protocol = "RUDP2"
    local root = tree:add(rudp, tvb())
    local flags = size >= 3 and tvb(2, 1):uint() or 0
    -- A datagram carries a tag exactly when its flags are valid and protected (20.1); any other
    -- datagram is checked as a plain one: size, CRC-32C, then the packet (3.1, 6.2).
    local protected = (flags == 1 or flags == 3)
    local summary = { flags = flag_names[flags] and flags or nil }
    local limit -- the end of the packet, once the datagram is large enough to have a trailer
    local crc = {}
    local ok, err = pcall(function()
        if size > MAX_DATAGRAM then
            fail("oversize", string.format("datagram of %d bytes (at most %d)", size, MAX_DATAGRAM), 0, size)
        end
        if protected then
            if size < HEADER_SIZE + TAG_SIZE then
                fail("truncated", string.format("protected datagram of %d bytes (at least %d)", size, HEADER_SIZE + TAG_SIZE), 0, size)
            end
            limit = size - TAG_SIZE
            parse_packet(tvb, limit, root, true, flags, summary)
        else
            if size < HEADER_SIZE + CRC_SIZE then
                fail("truncated", string.format("datagram of %d bytes (at least %d)", size, HEADER_SIZE + CRC_SIZE), 0, size)
            end
            limit = size - CRC_SIZE
            crc.stored = tvb(limit, CRC_SIZE):uint()
            crc.computed = crc32c(tvb:raw(0, limit))
            if crc.stored ~= crc.computed then
                local detail = string.format("trailer 0x%08x, CRC-32C of the packet 0x%08x", crc.stored, crc.computed)
                if not rudp.prefs.decode_bad_checksum then
                    root:add(f.unparsed, tvb(0, limit))
                    fail("checksumMismatch", detail, limit, CRC_SIZE)
                end
                add_error(root, tvb, { rudp_error = "checksumMismatch", offset = limit, length = CRC_SIZE, detail = detail })
                summary.error = "checksumMismatch"
            end
            parse_packet(tvb, limit, root, false, flags, summary)
        end
    end)
    if limit then add_trailer(root, tvb, protected, limit, crc) end
    if not ok then
        if type(err) ~= "table" or not err.rudp_error then error(err, 0) end
        add_error(root, tvb, err)
        summary.error = summary.error and (summary.error .. ", " .. err.rudp_error) or err.rudp_error
    end
    local text = summary_text(summary)
    root:append_text(", " .. text)
    pinfo.cols.info = text
    return size
end

function rudp.dissector(tvb, pinfo, tree)
    return dissect(tvb, pinfo, tree)
end

---------------------------------------------------------------------------------------------------
-- Heuristic: the header and the size rules of PROTOCOL.md 3.2, 4 and 20.2

local function looks_like_rudp(tvb)
    local size = tvb:len()
    if size < HEADER_SIZE + CRC_SIZE or size > MAX_DATAGRAM then return false end
    if tvb(0, 1):uint() ~= VERSION then return false end
    local t, flags = tvb(1, 1):uint(), tvb(2, 1):uint()
    if t < 1 or t > 4 or not flag_names[flags] then return false end
    local dcid_zero = tvb(3, 4):uint() == 0 and tvb(7, 4):uint() == 0
    if t ~= 1 and dcid_zero then return false end
    if tvb(11, 1):uint() >= 0x40 then return false end
    local protected = flags ~= 0
    local trailer = protected and TAG_SIZE or CRC_SIZE
    local packet = size - trailer
    if t == 1 then
        if protected then return size == SECURE_CONNECT_PACKET + TAG_SIZE end
        return packet >= 47 and packet == 47 + tvb(46, 1):uint()
    elseif t == 2 then
        return packet == (protected and 78 or 46)
    elseif t == 4 then
        return packet >= 20 and packet == 20 + tvb(19, 1):uint()
    else
        if packet < HEADER_SIZE + 1 then return false end
        if flags == 3 then return true end
        local first = tvb(HEADER_SIZE, 1):uint()
        return first >= 1 and first <= 8
    end
end

local function heuristic(tvb, pinfo, tree)
    if not rudp.prefs.heuristic or not looks_like_rudp(tvb) then return false end
    pinfo.conversation = rudp
    dissect(tvb, pinfo, tree)
    return true
end

---------------------------------------------------------------------------------------------------
-- Registration

local udp_port = DissectorTable.get("udp.port")
local registered_ports = ""

local function register_ports()
    if registered_ports ~= "" then udp_port:remove(registered_ports, rudp) end
    registered_ports = tostring(rudp.prefs.ports or "")
    if registered_ports ~= "" then udp_port:add(registered_ports, rudp) end
end

function rudp.prefs_changed()
    register_ports()
end

register_ports()
udp_port:add_for_decode_as(rudp)
rudp:register_heuristic("udp", heuristic)

#!/usr/bin/env python3
"""Where a callgrind profile's instructions go, by cost category (used by callgrind.sh).

    cg_categories.py total PROFILE
        the profile's total instruction count
    cg_categories.py engine PROFILE
        instructions inclusive of the engine's entry points (RUDPCore.Endpoint's public methods,
        everything they call included: RUDPCore, RUDPWire, CRC, runtime, malloc, ...)
    cg_categories.py breakdown --messages N PROFILE [BASELINE]
        self cost per category, per message: (PROFILE - BASELINE) / N, or PROFILE / N alone;
        then calls per message of a few telling functions (COUNTED), the same way

Each function's *self* cost (callgrind_annotate --inclusive=no, names demangled with
`swift demangle`) goes to the first category whose rule matches its name; see CATEGORIES below
for the rules and README.md for what each category means. A few helpers shared by several
categories (memcmp, __tls_get_addr) are not matched by name: their cost is split among their
callers' categories in proportion to what each caller spent in them (from --tree=caller).
"""
import re
import subprocess
import sys
from collections import defaultdict

# (category, pattern over the demangled function name), first match wins. Patterns that name a
# Swift module match the function's own module (after specialisation prefixes are stripped),
# so `Array.append` specialised for an engine type counts as standard library, not engine.
CATEGORIES = [
    ("exclusivity", r"swift_beginAccess|swift_endAccess|swift::runtime::AccessSet|SwiftTLSContext"),
    ("generic metadata", r"[Mm]etadata|getCache\(|GenericCacheEntry|WaitQueue|swift_getWitnessTable|"
                         r"swift_getAssociated|swift_conformsToProtocol|ConcurrentReadableHashMap|"
                         r"instantiateConcreteTypeFromMangledName|swift_getTypeByMangledName|"
                         r"swift_checkMetadataState|swift_getTupleTypeMetadata"),
    ("value witnesses", r"value witness|ValueWitnesses<|^initializeWithCopy|^destroy for|swift_arrayInitWithCopy|"
                        r"swift_arrayInitWithTake|swift_arrayDestroy|swift_arrayAssign|tuple_destroy|tuple_initialize|"
                        r"swift_getEnumTagSinglePayloadGeneric|swift_storeEnumTagSinglePayloadGeneric|_swift_pod_copy|"
                        r"swift_getEnumCaseMultiPayload|swift_storeEnumTagMultiPayload|boxed_opaque_existential"),
    ("hashing (Hasher/SipHash)", r"Hasher|SipHash|\.hash\(into:|\.hashValue\.getter|_rawHashValue"),
    ("hash tables (Dictionary/Set)", r"^Swift\.(__RawDictionaryStorage|__RawSetStorage|_NativeDictionary|_NativeSet|"
                                     r"_HashTable|Dictionary|Set)\b"),
    ("malloc/free", r"(^|[^a-z_])(malloc|free|realloc|calloc|cfree)\b|_int_malloc|_int_free|malloc_consolidate|"
                    r"unlink_chunk|tcache|sysmalloc|malloc_usable_size|alloc_perturb|swift_allocObject|"
                    r"swift_slowAlloc|swift_slowDealloc|swift_deallocObject|swift_deallocClassInstance|"
                    r"swift_deallocUninitializedObject|_swift_release_dealloc|swift_allocBox|swift_deallocBox|"
                    r"swift_makeBoxUnique|__deallocating_deinit|_swift_stdlib_malloc_size"),
    ("retain/release", r"swift_retain|swift_release|swift_bridgeObjectRetain|swift_bridgeObjectRelease|"
                       r"swift_unknownObjectRetain|swift_unknownObjectRelease|swift_nonatomic_|"
                       r"swift_isUniquelyReferenced|swift_tryRetain|RefCounts<|"
                       r"^outlined (copy|consume|destroy|retain|release|init with|assign with)"),
    ("memcpy/memmove/memset", r"(__)?mem(cpy|move|set)"),
    ("CRC-32C", r"(?i)crc32c"),
    ("Duration/Int128", r"Swift\.Duration\.|_U?Int128|__multi3|__u?divti3|__u?modti3|nanosecondsClamped|"
                        r"RUDPCore\.Timestamp\.[+-] infix"),
    ("engine logic (RUDPCore, RUDPWire)", r"^(RUDPCore|RUDPWire)\."),
    ("collections (Deque, Heap)", r"^(DequeModule|HeapModule)\."),
    ("driver / simulator / CLI", r"^(EngineExchange|EngineDriver|RUDPSimulation|rudp|RUDP|ArgumentParser|Yams|NIO\w*)\."),
    ("standard library and runtime (arrays, ...)", r"^Swift\.|^\(extension in Swift\)|^_swift|^swift_"),
]
OTHER = "rest (startup, dynamic linker, libc, ...)"
ORDER = [name for name, _ in CATEGORIES] + [OTHER]
COMPILED = [(name, re.compile(pattern)) for name, pattern in CATEGORIES]
# Shared helpers whose cost goes to their callers' categories.
FOLLOW_CALLERS = re.compile(r"^(__)?memcmp|^__memcmp|^__tls_get_addr$")
# The engine's entry points (for `engine`): public methods of the endpoint.
ENGINE_ENTRY = re.compile(r"^RUDPCore\.Endpoint\.(handle\(datagram:|pollTransmit\(|pollEvent\(|handleTimeout\(|"
                          r"nextDeadline\(|send\(|connect\(|close\(|abort\(|releaseCredit\(|connection\(|"
                          r"__allocating_init\(|init\()")

# Functions whose calls per message `breakdown` counts (matched like the categories).
COUNTED = [(label, re.compile(pattern)) for label, pattern in [
    ("Endpoint.handle(datagram:)", r"^RUDPCore\.Endpoint\.handle\(datagram:"),
    ("Endpoint.pollTransmit", r"^RUDPCore\.Endpoint\.pollTransmit\("),
    ("Endpoint.pollEvent", r"^RUDPCore\.Endpoint\.pollEvent\("),
    ("Endpoint.send (refused ones included)", r"^RUDPCore\.Endpoint\.send\("),
    ("Endpoint.handleTimeout", r"^RUDPCore\.Endpoint\.handleTimeout\("),
    ("swift_beginAccess", r"^swift_beginAccess$"),
    ("swift_getGenericMetadata", r"^swift_getGenericMetadata$"),
    ("SipHash runs (Hasher._finalize)", r"^Swift\.Hasher\._finalize\("),
    ("malloc", r"^malloc$"),
    ("swift_retain", r"^swift_retain$"),
    ("swift_release", r"^swift_release$"),
]]

LINE = re.compile(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+([<*>]?)\s*(.*)$")
PREFIXES = re.compile(r"^(merged |static |partial apply for |(closure|implicit closure) #\d+ .*? in |"
                      r"function signature specialization |generic specialization |specialized )")


def annotate(path, *options):
    """callgrind_annotate's output for `path`, demangled."""
    raw = subprocess.run(["callgrind_annotate", "--threshold=100", *options, path],
                         check=True, capture_output=True, text=True).stdout
    return subprocess.run(["swift", "demangle"], input=raw, check=True, capture_output=True, text=True).stdout


def function_name(text):
    """`file:function [object]` (or `... (12x) [object]`) -> the function's name."""
    text = re.sub(r"\s*\[[^\]]*\]\s*$", "", text)
    text = re.sub(r"\s*\([\d,]+x\)\s*$", "", text)
    text = text.split(":", 1)[1] if ":" in text and not text.startswith("(") else text
    return re.sub(r"'\d+$", "", text.strip())


def skip_angle(text):
    """`text` starting at '<': what follows the matching '>'."""
    depth = 0
    for i, c in enumerate(text):
        if c == "<":
            depth += 1
        elif c == ">":
            depth -= 1
            if depth == 0:
                return text[i + 1:]
    return text


def base_name(name):
    """The function without specialisation, closure and `static` prefixes."""
    while True:
        m = PREFIXES.match(name)
        if not m:
            return name
        rest = name[m.end():]
        if rest.startswith("<"):
            rest = skip_angle(rest)
            rest = rest[len(" of "):] if rest.startswith(" of ") else rest
        name = rest


def category(name):
    base = base_name(name)
    for cat, pattern in COMPILED:
        if pattern.search(base) or (not pattern.pattern.startswith("^") and pattern.search(name)):
            return cat
    return OTHER


def total(path):
    with open(path) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise SystemExit(f"no total in {path}")


def parse(path):
    """[(function, self cost, [(caller, cost of its calls, number of calls)])] from --tree=caller."""
    functions = []
    callers = []
    for line in annotate(path, "--inclusive=no", "--tree=caller").splitlines():
        m = LINE.match(line)
        if not m:
            if not line.strip():
                callers = []
            continue
        cost, mark, rest = int(m.group(1).replace(",", "")), m.group(2), m.group(3)
        if rest.startswith("PROGRAM TOTALS"):
            continue
        if mark == "<":
            count = re.search(r"\(([\d,]+)x\)\s*(\[[^\]]*\])?\s*$", rest)
            callers.append((function_name(rest), cost, int(count.group(1).replace(",", "")) if count else 0))
        elif mark == "*":
            functions.append((function_name(rest), cost, callers))
            callers = []
    return functions


def categories(functions):
    """Self cost per category (helpers split among their callers)."""
    result = defaultdict(int)
    for name, cost, callers in functions:
        if FOLLOW_CALLERS.search(name) and callers:
            spent = sum(c for _, c, _ in callers) or 1
            for caller, c, _ in callers:
                result[category(caller)] += cost * c / spent
        else:
            result[category(name)] += cost
    return result


def calls(functions):
    """Calls of each of COUNTED (the sum of its callers' call counts)."""
    result = defaultdict(int)
    for name, _, callers in functions:
        base = base_name(name)
        for label, pattern in COUNTED:
            if pattern.search(base):
                result[label] += sum(n for _, _, n in callers)
                break
    return result


def engine(path):
    """Instructions inclusive of the engine's entry points."""
    spent = 0
    for line in annotate(path, "--inclusive=yes").splitlines():
        m = LINE.match(line)
        if m and not m.group(2):
            name = base_name(function_name(m.group(3)))
            if ENGINE_ENTRY.search(name):
                spent += int(m.group(1).replace(",", ""))
    return spent


def breakdown(messages, path, baseline=None):
    profile = parse(path)
    base = parse(baseline) if baseline else []
    with_messages, without = categories(profile), categories(base)
    per_message = {cat: (with_messages[cat] - without[cat]) / messages for cat in ORDER}
    whole = sum(per_message.values())
    print(f"{'category (self cost)':<42} {'per message':>12} {'share':>7}")
    for cat in ORDER:
        print(f"{cat:<42} {per_message[cat]:>12,.0f} {100 * per_message[cat] / whole:>6.1f}%")
    print(f"{'total':<42} {whole:>12,.0f} {100.0:>6.1f}%")
    with_messages, without = calls(profile), calls(base)
    print(f"{'calls':<42} {'per message':>12}")
    for label, _ in COUNTED:
        print(f"{label:<42} {(with_messages[label] - without[label]) / messages:>12,.2f}")


def main(argv):
    if len(argv) >= 2 and argv[0] == "total":
        print(total(argv[1]))
    elif len(argv) >= 2 and argv[0] == "engine":
        print(engine(argv[1]))
    elif len(argv) >= 4 and argv[0] == "breakdown" and argv[1] == "--messages":
        breakdown(int(argv[2]), argv[3], argv[4] if len(argv) > 4 else None)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])

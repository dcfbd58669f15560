#ifndef RUDP_CSODIUM_SHIM_H
#define RUDP_CSODIUM_SHIM_H

// libsodium, found through pkg-config (`libsodium`; Debian/Ubuntu: libsodium-dev).
#include <sodium.h>

#endif

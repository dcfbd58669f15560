#ifndef RUDP_CRC32C_KERNEL_H
#define RUDP_CRC32C_KERNEL_H

#include <stddef.h>
#include <stdint.h>

/// Non-zero when this CPU has a CRC-32C instruction the kernel below uses
/// (SSE 4.2 on x86-64, the CRC extension on AArch64).
int rudp_crc32c_hardware_available(void);

/// Continues a reflected CRC-32C (polynomial 0x82F63B78) over `length` bytes, without the
/// initial and final inversions. Only call when rudp_crc32c_hardware_available() is non-zero.
uint32_t rudp_crc32c_hardware_update(uint32_t crc, const void *data, size_t length);

#endif

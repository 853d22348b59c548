/* What every fuzz target shares: the libFuzzer entry point it defines, and
 * a check that stops the run when a property fails (abort(), which both
 * libFuzzer and the replay driver report as a crash). */
#ifndef TUN_FUZZ_H
#define TUN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__,          \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* Little-endian fields of the fuzz input. */
static inline unsigned fuzz_le16(const uint8_t *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

#endif

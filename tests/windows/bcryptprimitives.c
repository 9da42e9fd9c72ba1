/*
 * bcryptprimitives.dll shim for Wine < 8.13 (Debian 12 ships Wine 8.0).
 *
 * Rust's std (1.78+, rust-lang/rust#121337) imports ProcessPrng from bcryptprimitives.dll;
 * Wine added that DLL only in 8.13, so under Wine 8.0 every Rust .exe dies before main with
 * exit status 53 (c0000135, "Library bcryptprimitives.dll ... not found").
 * This DLL exports ProcessPrng and forwards to RtlGenRandom (advapi32!SystemFunction036),
 * which Wine has. Install it into $WINEPREFIX/drive_c/windows/system32/.
 *
 * Built and installed by .ci/platform.sh; by hand: x86_64-w64-mingw32-gcc -shared -O2 -s -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom */

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}

/*
 * seedwriter: what the seed's C# writer does, in C for Windows (runs under Wine).
 *
 * C#:  var mmf = MemoryMappedFile.CreateOrOpen("test1", bytes.Length);
 *      using (var acc = mmf.CreateViewAccessor()) acc.WriteArray(0, bytes, 0, bytes.Length);
 *      ... the process keeps `mmf` open; the block lives only while a handle is open.
 * C:   CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, len, L"NAME"),
 *      MapViewOfFile, memcpy the file's bytes, print "ready", wait, exit (the block dies).
 *
 * Usage: seedwriter.exe NAME FILE [SECONDS] [--stdin]
 *   NAME     mapping name: test1, Local\test1, Global\test1 ...
 *   FILE     the bytes to put at offset 0 (e.g. a BMP); /unix/path, Z:/path, Z:\path all work
 *   SECONDS  how long to hold the block (default 60; 0 = until killed or, with --stdin, EOF)
 *   --stdin  also stop as soon as stdin reaches end of file (the driving script closes it)
 * Prints "ready" (stdout, flushed) once the bytes are in; details go to stderr.
 * Exit: 0 done, 2 usage, 3 file error, 4 mapping error.
 *
 * Built by .ci/platform.sh; by hand: x86_64-w64-mingw32-gcc -municode -O2 -s -o seedwriter.exe seedwriter.c
 */
#include <windows.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static HANDLE g_stop; /* manual-reset event: set when stdin hits EOF */

static DWORD WINAPI watch_stdin(LPVOID unused)
{
    (void)unused;
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
    char buf[256];
    DWORD got;
    /* Any data is ignored; EOF (0 bytes) or an error (closed/broken pipe) means stop. */
    while (in != NULL && in != INVALID_HANDLE_VALUE && ReadFile(in, buf, sizeof buf, &got, NULL) && got > 0) {
    }
    SetEvent(g_stop);
    return 0;
}

static unsigned char *read_all(const wchar_t *path, size_t *len)
{
    FILE *f = _wfopen(path, L"rb");
    if (!f) {
        fwprintf(stderr, L"seedwriter: cannot open %ls\n", path);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0) { fclose(f); return NULL; }
    long n = ftell(f);
    if (n <= 0 || fseek(f, 0, SEEK_SET) != 0) {
        fwprintf(stderr, L"seedwriter: %ls is empty or unseekable\n", path);
        fclose(f);
        return NULL;
    }
    unsigned char *buf = malloc((size_t)n);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fwprintf(stderr, L"seedwriter: cannot read %ls\n", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

int wmain(int argc, wchar_t **argv)
{
    int use_stdin = 0, pos = 0;
    const wchar_t *name = NULL, *path = NULL;
    unsigned long seconds = 60;
    for (int i = 1; i < argc; i++) {
        if (wcscmp(argv[i], L"--stdin") == 0) use_stdin = 1;
        else if (pos == 0) { name = argv[i]; pos++; }
        else if (pos == 1) { path = argv[i]; pos++; }
        else if (pos == 2) { seconds = wcstoul(argv[i], NULL, 10); pos++; }
        else pos++;
    }
    if (!name || !path || pos > 3) {
        fputs("usage: seedwriter.exe NAME FILE [SECONDS] [--stdin]\n", stderr);
        return 2;
    }

    /* Binary stdout: "ready\n", not msvcrt's text-mode "ready\r\n", for line-exact scripts. */
    _setmode(_fileno(stdout), _O_BINARY);

    size_t len;
    unsigned char *bytes = read_all(path, &len);
    if (!bytes) return 3;
    if ((unsigned long long)len > 0xFFFFFFFFull) {
        fputs("seedwriter: file larger than 4 GiB\n", stderr);
        return 3;
    }

    HANDLE map = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, (DWORD)len, name);
    if (map == NULL) {
        fwprintf(stderr, L"seedwriter: CreateFileMappingW(%ls) error %lu\n", name, GetLastError());
        return 4;
    }
    /* CreateOrOpen semantics: an existing block of that name is reused. */
    int existed = GetLastError() == ERROR_ALREADY_EXISTS;
    unsigned char *view = MapViewOfFile(map, FILE_MAP_WRITE, 0, 0, 0);
    if (view == NULL) {
        fwprintf(stderr, L"seedwriter: MapViewOfFile error %lu\n", GetLastError());
        return 4;
    }
    MEMORY_BASIC_INFORMATION mbi;
    if (VirtualQuery(view, &mbi, sizeof mbi) == 0 || mbi.RegionSize < len) {
        fwprintf(stderr, L"seedwriter: existing block %ls is too small (%llu < %llu bytes)\n", name,
                 (unsigned long long)mbi.RegionSize, (unsigned long long)len);
        return 4;
    }
    memcpy(view, bytes, len);
    fwprintf(stderr, L"seedwriter: %ls%ls: %llu bytes, view %llu bytes\n", name,
             existed ? L" (existed)" : L"", (unsigned long long)len, (unsigned long long)mbi.RegionSize);
    fflush(stderr); /* msvcrt buffers stderr when it is not a console */
    printf("ready\n");
    fflush(stdout);

    g_stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (use_stdin) {
        HANDLE t = CreateThread(NULL, 0, watch_stdin, NULL, 0, NULL);
        if (t) CloseHandle(t);
    }
    WaitForSingleObject(g_stop, seconds == 0 ? INFINITE : (DWORD)(seconds * 1000));

    UnmapViewOfFile(view);
    CloseHandle(map);
    free(bytes);
    return 0;
}

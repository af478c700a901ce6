#pragma once
// System calls that Swift cannot reach directly: glibc hides renameat2 behind _GNU_SOURCE and
// Swift cannot call the variadic syscall(2).
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

/// Atomically exchanges two paths (files or directories of any kind). Returns 0, or -1 with errno
/// set (ENOSYS or EINVAL where the kernel or file system cannot do it).
static inline int swift_cache_exchange_paths(const char *first, const char *second) {
#if defined(__linux__) && defined(SYS_renameat2)
    return (int)syscall(SYS_renameat2, AT_FDCWD, first, AT_FDCWD, second, 2 /* RENAME_EXCHANGE */);
#elif defined(__APPLE__)
    return renamex_np(first, second, 0x00000002 /* RENAME_SWAP */);
#else
    errno = ENOSYS;
    return -1;
#endif
}

/// Starts writing a file's dirty pages in [offset, offset + count) to disk and returns without
/// waiting (sync_file_range with SYNC_FILE_RANGE_WRITE), so a later fsync has less to wait for.
/// Elsewhere it does nothing. Returns 0, or -1 with errno set.
static inline int swift_cache_start_writeback(int fd, long long offset, long long count) {
#if defined(__linux__)
    return sync_file_range(fd, (off_t)offset, (off_t)count, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)count;
    return 0;
#endif
}

/// UTIME_NOW, for a `timespec` given to futimens: "this time, set it to now". A macro, which Swift
/// does not import.
static inline long swift_cache_utime_now(void) {
    return UTIME_NOW;
}

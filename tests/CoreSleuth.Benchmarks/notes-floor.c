/*
 * The least any reader of a core must do before it can list threads: read the PT_NOTE segment
 * and walk its note headers (and each NT_PRSTATUS's registers). A yardstick for `coresleuth
 * threads` and `handle` (docs/performance.md, "Thousands of threads"), not part of the tool.
 *
 *   cc -O2 -o /tmp/notes-floor tests/CoreSleuth.Benchmarks/notes-floor.c
 *   /tmp/notes-floor tests/CoreSleuth.Benchmarks/.cores/mysqld-10000t-4g.core
 *
 * Reads the first PT_NOTE segment with pread into memory advised into huge pages, as the tool
 * does, on one thread; prints the time of each step on standard error.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: notes-floor CORE\n"); return 2; }
    double t0 = now_ms();
    int fd = open(argv[1], O_RDONLY);
    Elf64_Ehdr eh;
    if (fd < 0 || pread(fd, &eh, sizeof eh, 0) != sizeof eh) { perror(argv[1]); return 1; }
    size_t count = eh.e_phnum;
    Elf64_Phdr *ph = calloc(count ? count : 1, sizeof *ph);
    if (!ph || pread(fd, ph, count * sizeof *ph, (off_t)eh.e_phoff) != (ssize_t)(count * sizeof *ph)) { fprintf(stderr, "cannot read the program headers\n"); return 1; }
    Elf64_Phdr *note = NULL;
    for (size_t i = 0; i < count && !note; i++)
        if (ph[i].p_type == PT_NOTE) note = &ph[i];
    if (!note || note->p_filesz > (1u << 30)) { fprintf(stderr, "no PT_NOTE segment of at most 1 GiB\n"); return 1; }
    size_t length = note->p_filesz, huge = 2u << 20, size = (length + huge - 1) & ~(huge - 1);
    unsigned char *notes = aligned_alloc(huge, size ? size : huge);
    if (!notes) { fprintf(stderr, "out of memory\n"); return 1; }
    madvise(notes, size, MADV_HUGEPAGE);
    double t1 = now_ms();
    size_t done = 0;
    while (done < length)
    {
        ssize_t n = pread(fd, notes + done, length - done, (off_t)(note->p_offset + done));
        if (n <= 0) break;
        done += (size_t)n;
    }
    double t2 = now_ms();
    long notesWalked = 0, threads = 0;
    unsigned long registers = 0;
    for (size_t p = 0; p + 12 <= done;)
    {
        unsigned namesz = *(unsigned *)(notes + p), descsz = *(unsigned *)(notes + p + 4), type = *(unsigned *)(notes + p + 8);
        size_t desc = p + 12 + ((namesz + 3u) & ~3u), next = desc + ((descsz + 3u) & ~3u);
        if (next > done || next <= p) break;
        if (type == NT_PRSTATUS && descsz >= 224) { threads++; registers ^= *(unsigned long *)(notes + desc + 48); }
        notesWalked++;
        p = next;
    }
    double t3 = now_ms();
    fprintf(stderr, "program headers %.2f ms, notes read %.2f ms (%zu bytes), walked %.2f ms (%ld notes, %ld threads), in all %.2f ms [%lx]\n",
            t1 - t0, t2 - t1, done, t3 - t2, notesWalked, threads, t3 - t0, registers & 1);
    return 0;
}

/*
 * The least any reader of a core must do before it can list threads: read the PT_NOTE segment
 * and walk its note headers (and each NT_PRSTATUS's registers). A yardstick for `coresleuth
 * threads` and `handle` (docs/performance.md, "Thousands of threads"), not part of the tool.
 *
 *   cc -O2 -pthread -o /tmp/notes-floor tests/CoreSleuth.Benchmarks/notes-floor.c
 *   /tmp/notes-floor tests/CoreSleuth.Benchmarks/.cores/mysqld-10000t-4g.core
 *
 * Reads the first PT_NOTE segment with pread into memory advised into huge pages, as the tool
 * does, the fastest way measured here: in two halves on two threads (the second from the first
 * huge page boundary past the middle), each walked 256 KiB at a time right behind its read, while
 * the bytes are in that core's cache. The second half's walk starts where three notes in a row
 * look like notes, and counts if the first half's walk arrives exactly there (else the second
 * half is walked again after the first, as the tool does). Prints the time on standard error.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
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

enum { Part = 256 << 10 };

struct half
{
    int fd;
    unsigned char *notes;
    off_t offset;
    size_t from, to, first_note, stopped;
    int started;
    long notes_walked, threads;
    unsigned long registers;
};

/* Walks the notes wholly inside [0, end) from *p. */
static void walk(struct half *h, size_t *p, size_t end)
{
    while (*p + 12 <= end)
    {
        const unsigned char *n = h->notes + *p;
        unsigned namesz = *(const unsigned *)n, descsz = *(const unsigned *)(n + 4), type = *(const unsigned *)(n + 8);
        size_t desc = *p + 12 + ((namesz + 3u) & ~3u), next = desc + ((descsz + 3u) & ~3u);
        if (next > end || next <= *p) break;
        if (type == NT_PRSTATUS && descsz >= 224) { h->threads++; h->registers ^= *(const unsigned long *)(h->notes + desc + 48); }
        h->notes_walked++;
        *p = next;
    }
}

/* Whether a note lying wholly inside [0, end) starts at p, with a short printable NUL-ended name; *next is the one after. */
static int looks_like_note(const unsigned char *notes, size_t p, size_t end, size_t *next)
{
    if (p + 12 > end) return 0;
    unsigned namesz = *(const unsigned *)(notes + p), descsz = *(const unsigned *)(notes + p + 4);
    if (namesz == 0 || namesz > 32) return 0;
    *next = p + 12 + ((namesz + 3u) & ~3u) + ((descsz + 3ul) & ~3ul);
    if (*next > end || notes[p + 12 + namesz - 1] != 0) return 0;
    for (unsigned i = 0; i + 1 < namesz; i++)
        if (notes[p + 12 + i] < 0x20 || notes[p + 12 + i] > 0x7e) return 0;
    return 1;
}

static void *read_and_walk(void *arg)
{
    struct half *h = arg;
    size_t p = h->first_note, done = h->from;
    int found = h->from == 0;
    while (done < h->to)
    {
        size_t want = h->to - done < Part ? h->to - done : Part;
        ssize_t n = pread(h->fd, h->notes + done, want, h->offset + (off_t)done);
        if (n <= 0) break;
        done += (size_t)n;
        for (size_t q = h->from, a, b, c; !found && q + 12 <= done && q < h->from + (64 << 10); q += 4)
            if (looks_like_note(h->notes, q, done, &a) && looks_like_note(h->notes, a, done, &b) && looks_like_note(h->notes, b, done, &c))
                found = 1, p = h->first_note = q;
        if (!found) break;
        walk(h, &p, done);
    }
    /* Without a note to start from, the rest is read unwalked. */
    while (!found && done < h->to)
    {
        ssize_t n = pread(h->fd, h->notes + done, h->to - done, h->offset + (off_t)done);
        if (n <= 0) break;
        done += (size_t)n;
    }
    h->to = done;
    h->stopped = p;
    h->started = found;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: notes-floor CORE\n"); return 2; }
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
    size_t middle = (length / 2 + huge - 1) & ~(huge - 1);
    if (middle >= length) middle = length;

    double t0 = now_ms();
    unsigned char *notes = aligned_alloc(huge, size ? size : huge);
    if (!notes) { fprintf(stderr, "out of memory\n"); return 1; }
    madvise(notes, size, MADV_HUGEPAGE);
    struct half first = { .fd = fd, .notes = notes, .offset = (off_t)note->p_offset, .from = 0, .to = middle };
    struct half second = { .fd = fd, .notes = notes, .offset = (off_t)note->p_offset, .from = middle, .to = length };
    pthread_t other;
    int split = middle < length && pthread_create(&other, NULL, read_and_walk, &second) == 0;
    read_and_walk(&first);
    if (split) pthread_join(other, NULL);
    /* The first half's walk goes on to where the second's began (a note or two across the middle):
       arriving there exactly, the second's notes count and the walk goes on from where it stopped;
       else that one began inside a descriptor, and the second half is walked again from here. */
    size_t p = first.stopped;
    if (split && second.started)
    {
        walk(&first, &p, second.first_note);
        if (p == second.first_note) p = second.stopped;
        else second.notes_walked = second.threads = 0, second.registers = 0;
    }
    walk(&first, &p, split ? second.to : first.to);
    double t1 = now_ms();
    fprintf(stderr, "notes read and walked %.2f ms (%zu bytes, %ld notes, %ld threads)%s [%lx]\n",
            t1 - t0, length, first.notes_walked + second.notes_walked, first.threads + second.threads,
            split ? ", in two halves" : "", (first.registers ^ second.registers) & 1);
    return 0;
}

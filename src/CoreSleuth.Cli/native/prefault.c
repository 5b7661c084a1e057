/*
 * Linked into the native binary only (dotnet publish -p:PublishAot=true on Linux).
 *
 * Before main, the .NET runtime rehydrates about 2 MB of its data into the binary's writable
 * segment, page by page: about 500 page faults, each costing microseconds on a VM. One
 * madvise(MADV_POPULATE_WRITE) over that segment, from this constructor, maps the same pages in
 * one system call (docs/performance.md). A kernel without it (before Linux 5.14) answers EINVAL
 * and nothing changes.
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static int populate_writable_segment(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    const uintptr_t page = 4096;
    /* The part made read-only after relocation (PT_GNU_RELRO) cannot be populated for writing. */
    uintptr_t relro_end = 0;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_GNU_RELRO)
            relro_end = (info->dlpi_addr + info->dlpi_phdr[i].p_vaddr + info->dlpi_phdr[i].p_memsz + page - 1) & ~(page - 1);
    for (int i = 0; i < info->dlpi_phnum; i++)
    {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W)) continue;
        uintptr_t start = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
        uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + page - 1) & ~(page - 1);
        if (relro_end > start && relro_end < end) start = relro_end;
        if (end > start) madvise((void *)start, end - start, MADV_POPULATE_WRITE);
    }
    return 1; /* the executable itself is reported first: stop there */
}

__attribute__((constructor)) static void coresleuth_prefault(void)
{
    dl_iterate_phdr(populate_writable_segment, 0);
}

using System.Buffers.Binary;
using CoreSleuth.Analysis.Modules;
using CoreSleuth.Memory;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis.Libthr;

/// <summary>glibc's NPTL on Linux x86-64: a thread's pthread_t is its fs_base, the struct pthread its TCB.</summary>
public sealed class GlibcThreadLibrary : IThreadLibrary
{
    public static GlibcThreadLibrary Instance { get; } = new();

    private GlibcThreadLibrary() { }

    public void Identify(ThreadIdentity identity, ModuleMap modules, IdentityOptions options) => FromGlibc(identity, modules, options);

    /// <summary>Offset of tcbhead_t.self in struct pthread (glibc sysdeps/x86_64/nptl/tls.h: tcb, dtv, self).</summary>
    public const int GlibcSelfOffset = 16;

    /// <summary>The tid offsets tried by the signature, 4-byte steps within the first page of struct pthread.</summary>
    public const int GlibcMaxTidOffset = 4096;

    /// <summary>
    /// Every thread's fs_base is its pthread_t (glibc sysdeps/x86_64/nptl/tls.h: TLS_INIT_TP sets
    /// fs to the struct pthread). Its tid's offset comes from <c>_thread_db_pthread_tid</c>, the
    /// descriptor {bit size, count, offset} glibc exports for libthread_db (nptl_db/structs.def),
    /// read from libc's file because gcore leaves .rodata out of the core; without it, from the
    /// signature: header.self at +16 points to the struct itself and one offset holds every thread's LWP.
    /// </summary>
    private static void FromGlibc(ThreadIdentity identity, ModuleMap modules, IdentityOptions options)
    {
        var memory = identity.Memory;
        var threads = identity.Core.Threads.Where(t => t.Linux is { Registers.FsBase: not 0 }).ToList();
        if (threads.Count == 0)
        {
            identity.Note("glibc: no thread has an fs_base, so no pthread_t is known");
            return;
        }
        int? offset = null;
        string source = "";
        if (options.UseDebuggerSymbols)
        {
            offset = TidOffsetFromLibc(modules, out string symbolNote);
            if (offset is null) identity.Note(symbolNote);
            else source = symbolNote;
        }
        var strategy = PthreadStrategy.GlibcThreadDb;
        if (offset is null && options.UseSignatureScan)
        {
            offset = GlibcSignatureOffset(memory, threads);
            source = offset is null ? "" : $"signature: the only offset at which every thread's struct pthread (at its fs_base, header.self at +{GlibcSelfOffset} pointing to it) holds its LWP";
            strategy = PthreadStrategy.GlibcSignature;
            if (offset is null) identity.Note("glibc signature: no offset in the first page of struct pthread holds every thread's LWP");
        }
        if (offset is not { } tid) return;
        identity.Layout = new LibthrLayout(tid, null, 0, null, source);
        int found = 0, mismatched = 0;
        foreach (var t in threads)
        {
            ulong p = t.Linux!.Registers.FsBase;
            if (memory.TryReadPointer(p + GlibcSelfOffset, out ulong self) && self == p && memory.TryReadUInt32(p + (ulong)tid, out uint value) && value == (uint)t.Lwp)
            {
                identity.Add(new ThreadPthread(t.Lwp, p, p, null, strategy));
                found++;
            }
            else mismatched++;
        }
        identity.Note($"glibc: pthread_t = fs_base, tid at offset {tid} ({source}): {Plural.Of(found, "thread")} confirmed (header.self = pthread_t, tid = LWP)" +
                      (mismatched > 0 ? $", {mismatched} not" : ""));
    }

    /// <summary>The offset of <c>_thread_db_pthread_tid</c>'s descriptor in libc's file (the core lacks .rodata); null with why in <paramref name="note"/>.</summary>
    private static int? TidOffsetFromLibc(ModuleMap modules, out string note)
    {
        const string symbol = "_thread_db_pthread_tid";
        var libc = modules.Modules.FirstOrDefault(m => m.FileName.StartsWith("libc.so", StringComparison.Ordinal) && m.Image is not null);
        if (libc is null)
        {
            note = "glibc thread_db: libc.so is not mapped, or neither the core nor a file has its ELF image";
            return null;
        }
        var images = new[] { libc.DiskImage, libc.Image }.OfType<ElfImage>().ToList();
        Span<byte> d = stackalloc byte[12];
        foreach (var image in images)
        {
            if (image.FindSymbol(symbol) is not { } s) continue;
            if (image.View.Read(s.Value, d) != 12 && !(libc.Image?.View.Read(s.Value, d) == 12)) continue;
            uint bits = BinaryPrimitives.ReadUInt32LittleEndian(d), count = BinaryPrimitives.ReadUInt32LittleEndian(d[4..]), offset = BinaryPrimitives.ReadUInt32LittleEndian(d[8..]);
            if (bits != 32 || count != 1 || offset % 4 != 0 || offset >= GlibcMaxTidOffset)
            {
                note = $"glibc thread_db: {symbol} of {libc.Path} is {{{bits}, {count}, {offset}}}, not a 32-bit tid in the first page of struct pthread";
                return null;
            }
            note = $"{symbol} = {{{bits}, {count}, {offset}}} in {libc.File ?? libc.Path}";
            return (int)offset;
        }
        note = $"glibc thread_db: {symbol} is not among the symbols of {libc.Path}, or its value is not readable (no file of libc)";
        return null;
    }

    /// <summary>The one tid offset at which every thread's struct pthread holds its LWP; null when none or several.</summary>
    private static int? GlibcSignatureOffset(AddressSpace memory, IReadOnlyList<CoreThread> threads)
    {
        var page = new byte[GlibcMaxTidOffset];
        HashSet<int>? candidates = null;
        foreach (var t in threads)
        {
            ulong p = t.Linux!.Registers.FsBase;
            if (!memory.TryReadPointer(p + GlibcSelfOffset, out ulong self) || self != p) continue;
            int n = memory.Read(p, page);
            var here = new HashSet<int>();
            for (int o = 0; o + 4 <= n; o += 4)
                if (BinaryPrimitives.ReadInt32LittleEndian(page.AsSpan(o)) == t.Lwp) here.Add(o);
            if (candidates is null) candidates = here;
            else candidates.IntersectWith(here);
        }
        // The main thread's tid is the pid, also kept elsewhere; with one thread several offsets may fit.
        return candidates is { Count: 1 } ? candidates.First() : null;
    }

    /// <summary>A pthread_t no thread has: a struct pthread of an exited thread, or none.</summary>
    public HandleResolution ResolveUnknown(ThreadIdentity identity, ulong handle)
    {
        var memory = identity.Memory;
        if (handle == 0 || handle % 8 != 0)
            return new HandleResolution(handle, HandleStatus.Invalid, null, null, $"0x{handle:x} is not an aligned pointer, so it cannot be a struct pthread");
        if (!memory.TryReadPointer(handle + GlibcSelfOffset, out ulong self))
            return new HandleResolution(handle, HandleStatus.Invalid, null, null, $"no struct pthread can be read there: {memory.Explain(handle)}");
        if (self != handle)
            return new HandleResolution(handle, HandleStatus.Invalid, null, null, $"header.self at 0x{handle + GlibcSelfOffset:x} is 0x{self:x}, not the address itself: not a struct pthread");
        if (identity.Layout is not { TidOffset: var off } || !memory.TryReadUInt32(handle + (ulong)off, out uint tid))
            return new HandleResolution(handle, HandleStatus.Invalid, null, null, "a struct pthread, but the tid offset is unknown: no thread of the core has this fs_base");
        // glibc writes 0 into tid when the thread exits (nptl/pthread_create.c: start_thread, the kernel's CLONE_CHILD_CLEARTID).
        if (tid == 0)
            return new HandleResolution(handle, HandleStatus.Terminated, null, null, "a struct pthread whose tid is 0: the thread has exited (the kernel clears it, CLONE_CHILD_CLEARTID); glibc may reuse its stack for a later thread");
        return new HandleResolution(handle, HandleStatus.Invalid, (int)tid, null,
            $"a struct pthread whose tid is {tid}, but no thread of the core with that LWP has it as fs_base: a stale or foreign copy");
    }
}

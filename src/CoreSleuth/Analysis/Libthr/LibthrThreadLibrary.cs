using CoreSleuth.Analysis.Modules;
using CoreSleuth.Memory;

namespace CoreSleuth.Analysis.Libthr;

/// <summary>FreeBSD's libthr: a thread's pthread_t is its <c>struct pthread</c>, found through libthr_db's debugger symbols (spec §9.3).</summary>
public sealed class LibthrThreadLibrary : IThreadLibrary
{
    public static LibthrThreadLibrary Instance { get; } = new();

    private const int MaxListLength = 1_000_000;

    private LibthrThreadLibrary() { }

    public void Identify(ThreadIdentity identity, ModuleMap modules, IdentityOptions options)
    {
        if (options.UseDebuggerSymbols) FromDebuggerSymbols(identity, modules);
    }

    /// <summary>Strategy (a), spec §9.3: libthr_db's walk of <c>_thread_list</c>.</summary>
    private static void FromDebuggerSymbols(ThreadIdentity identity, ModuleMap modules)
    {
        var memory = identity.Memory;
        var libthr = modules.Modules.FirstOrDefault(m => m.FileName.StartsWith("libthr.so", StringComparison.Ordinal) && m.Image is not null);
        if (libthr?.Image is not { } image)
        {
            identity.Note("debugger symbols: libthr.so is not mapped, or neither the core nor --sysroot has its ELF image");
            return;
        }
        var list = image.FindSymbol("_thread_list");
        int? tid = ReadIntSymbol(memory, libthr, "_thread_off_tid"), next = ReadIntSymbol(memory, libthr, "_thread_off_next"),
            tcb = ReadIntSymbol(memory, libthr, "_thread_off_tcb"), state = ReadIntSymbol(memory, libthr, "_thread_off_state");
        if (list is null || tid is null || next is null || tcb is null)
        {
            identity.Note($"debugger symbols: {libthr.Path} lacks _thread_list or a _thread_off_tid/next/tcb value ({image.View.Origin})");
            return;
        }
        if (!Plausible(tid.Value) || !Plausible(next.Value) || !Plausible(tcb.Value))
        {
            identity.Note($"debugger symbols: implausible offsets tid={tid} next={next} tcb={tcb}");
            return;
        }
        identity.Layout = new LibthrLayout(tid.Value, next, tcb.Value, state, $"libthr debugger symbols ({image.View.Origin})");

        ulong head = libthr.AddressOf(list);
        if (!memory.TryReadPointer(head, out ulong p))
        {
            identity.Note($"debugger symbols: _thread_list at 0x{head:x} is not in the core ({memory.Explain(head)})");
            return;
        }
        var threads = identity.Core.Threads;
        var lwps = new HashSet<int>(threads.Count);
        foreach (var t in threads) lwps.Add(t.Lwp);
        // A cycle shows as an element met again: the elements matched to a thread are the identity's
        // own pthread_t, the others (exited threads, a tid that is no LWP, an LWP met twice) few.
        var others = new HashSet<ulong>();
        int walked = 0;
        // libthr allocates the struct pthread of threads started one after another side by side: a
        // window of them read at once, not each one's page touched through the map (10,000 threads: 3,200 pages).
        var elements = new MemoryWindow(memory, 64 << 10, upward: false);
        int found = 0, exited = 0, unknown = 0;
        while (p != 0)
        {
            if (identity.Knows(p) || others.Contains(p) || ++walked > MaxListLength)
            {
                identity.Note($"debugger symbols: _thread_list loops back to 0x{p:x}; walk stopped");
                break;
            }
            if (!elements.TryReadUInt64(p + (ulong)tid.Value, out ulong t) || !elements.TryReadPointer(p + (ulong)next.Value, out ulong n))
            {
                identity.Note($"debugger symbols: list element 0x{p:x} is not in the core ({memory.Explain(p)}); walk stopped");
                break;
            }
            if (t is 0 or ThreadIdentity.TidTerminated) { exited++; others.Add(p); }
            else if (t > int.MaxValue || !lwps.Contains((int)t)) { unknown++; others.Add(p); }
            else
            {
                ulong? tcbAddress = elements.TryReadPointer(p + (ulong)tcb.Value, out ulong tc) ? tc : null;
                int? st = state is { } so && elements.TryReadUInt32(p + (ulong)so, out uint sv) ? (int)sv : null;
                if (!identity.Add(new ThreadPthread((int)t, p, tcbAddress, st, PthreadStrategy.DebuggerSymbols))) others.Add(p);
                found++;
            }
            p = n;
        }
        identity.Note($"debugger symbols: walked _thread_list of {libthr.Path} (offsets tid {tid}, next {next}, tcb {tcb}{(state is null ? "" : $", state {state}")}): {Plural.Of(found, "thread")} matched LWPs" +
                      (exited > 0 ? $", {exited} exited" : "") + (unknown > 0 ? $", {unknown} with a tid that is no LWP of the core" : ""));
    }

    /// <summary>
    /// An int debugger symbol's value: from the core's copy of libthr's data, else from the
    /// image file; a symbol in .bss (past p_filesz) is zero-initialised and never written.
    /// </summary>
    private static int? ReadIntSymbol(AddressSpace memory, LoadedModule module, string name)
    {
        if (module.Image?.FindSymbol(name) is not { } s) return null;
        if (memory.TryReadUInt32(module.AddressOf(s), out uint v)) return (int)v;
        Span<byte> b = stackalloc byte[4];
        if (module.Image.View.Read(s.Value, b) == 4) return BitConverter.ToInt32(b);
        bool inBss = module.Image.ProgramHeaders.Any(p => p.IsLoad && s.Value >= p.VirtualAddress + p.FileSize && s.Value < p.VirtualAddress + p.MemorySize);
        return inBss ? 0 : null;
    }

    private static bool Plausible(int offset) => offset is >= 0 and < 4096 && offset % 8 == 0;

    /// <summary>A pthread_t no thread has (spec §9.4 step 3): an exited thread (TID_TERMINATED), a stale copy, or no struct pthread.</summary>
    public HandleResolution ResolveUnknown(ThreadIdentity identity, ulong handle)
    {
        var memory = identity.Memory;
        if (handle == 0 || handle % 8 != 0)
            return new HandleResolution(handle, HandleStatus.Invalid, null, null, $"0x{handle:x} is not an aligned pointer, so it cannot be a struct pthread");
        if (!memory.TryReadUInt64(handle, out ulong tid))
            return new HandleResolution(handle, HandleStatus.Invalid, null, null, $"no struct pthread can be read there: {memory.Explain(handle)}");
        if ((long)tid == ThreadIdentity.TidTerminated)
            return new HandleResolution(handle, HandleStatus.Terminated, null, null,
                "pthread->tid is 1 (TID_TERMINATED): this thread has exited; libthr may reuse the memory for a later thread");

        var thread = tid <= int.MaxValue ? identity.Core.Threads.FirstOrDefault(t => t.Lwp == (int)tid) : null;
        if (thread is null)
            return new HandleResolution(handle, HandleStatus.Invalid, null, null,
                $"the first 8 bytes at 0x{handle:x} hold {(tid < 10_000_000 ? tid.ToString() : $"0x{tid:x}")}, which is not the LWP of any thread in the core");
        if (identity.ByLwp.TryGetValue(thread.Lwp, out var other))
            return new HandleResolution(handle, HandleStatus.Invalid, thread.Lwp, null,
                $"the tid there is LWP {thread.Lwp}, but that thread's pthread_t is 0x{other.Pthread:x}: a stale copy, not the thread's struct pthread");
        if (identity.Layout is { TcbOffset: var off })
        {
            bool back = memory.TryReadPointer(handle + (ulong)off, out ulong tcb) && memory.TryReadPointer(tcb, out ulong self) && self == tcb
                        && memory.TryReadPointer(tcb + 16, out ulong p) && p == handle;
            if (!back)
                return new HandleResolution(handle, HandleStatus.Invalid, thread.Lwp, null,
                    $"the tid there is LWP {thread.Lwp}, but the TCB back-pointer check (pthread+{off} → TCB → TCB+16 = pthread) fails");
        }
        return new HandleResolution(handle, HandleStatus.Live, thread.Lwp, thread,
            identity.Layout is null ? "matched by pthread->tid only: no libthr layout was available to confirm the TCB back-pointer" : null);
    }
}

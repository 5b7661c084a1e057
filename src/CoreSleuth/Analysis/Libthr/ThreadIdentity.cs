using CoreSleuth.Analysis.Modules;
using CoreSleuth.Diagnostics;
using CoreSleuth.Memory;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis.Libthr;

/// <summary>How a thread's <c>pthread_t</c> was found (spec §9.3, §9.4).</summary>
public enum PthreadStrategy
{
    /// <summary>libthr's debugger symbols: walking <c>_thread_list</c> with the <c>_thread_off_*</c> offsets.</summary>
    DebuggerSymbols,
    /// <summary>NT_X86_SEGBASES: fsbase is the TCB, TCB+16 the pthread.</summary>
    SegmentBases,
    /// <summary>No symbols: TCB self-pointer, TCB→pthread, tid and pthread→TCB back-pointer found by scanning memory.</summary>
    SignatureScan,
    /// <summary>glibc (Linux): fs_base is the pthread_t; the tid's offset from libc's <c>_thread_db_pthread_tid</c>.</summary>
    GlibcThreadDb,
    /// <summary>glibc (Linux) without that symbol: fs_base is the pthread_t; header.self at +16 points to it, and one offset holds every thread's LWP.</summary>
    GlibcSignature,
}

/// <summary>The libthr <c>struct pthread</c> offsets in use, and where they came from.</summary>
public sealed record LibthrLayout(int TidOffset, int? NextOffset, int TcbOffset, int? StateOffset, string Source);

/// <summary>A thread's libthr identity: its <c>struct pthread</c> address (= <c>pthread_t</c>), TCB and state.</summary>
public sealed record ThreadPthread(int Lwp, ulong Pthread, ulong? Tcb, int? State, PthreadStrategy Strategy);

public enum HandleStatus { Live, Terminated, Invalid }

/// <summary>What a <c>pthread_t</c> value (MySQL's "OS thread handle") turned out to be.</summary>
public sealed record HandleResolution(ulong Handle, HandleStatus Status, int? Lwp, CoreThread? Thread, string? Reason);

/// <summary>Which strategies may be used (tests switch some off to exercise the others).</summary>
public sealed record IdentityOptions(bool UseDebuggerSymbols = true, bool UseSegmentBases = true, bool UseSignatureScan = true)
{
    public static IdentityOptions Default { get; } = new();
}

/// <summary>
/// Joins libthr's view of threads (<c>pthread_t</c>) with the kernel's (LWP) for every thread of
/// the core, by the first strategy that works (spec §9), and resolves handles in both directions.
/// Every walk is guarded against cycles and unavailable memory.
/// </summary>
public sealed partial class ThreadIdentity
{
    /// <summary>TID_TERMINATED: the kernel writes 1 into pthread->tid when the thread exits (spec §9.1).</summary>
    public const long TidTerminated = 1;
    private const int MaxListLength = 1_000_000;

    private readonly CoreFile core;
    private readonly Dictionary<int, ThreadPthread> byLwp = [];
    private readonly Dictionary<ulong, ThreadPthread> byPthread = [];
    private readonly List<string> notes = [];

    private ThreadIdentity(CoreFile core) => this.core = core;

    public IReadOnlyDictionary<int, ThreadPthread> ByLwp => byLwp;
    public LibthrLayout? Layout { get; private set; }

    /// <summary>What each strategy did or why it could not be used, in order.</summary>
    public IReadOnlyList<string> Notes => notes;

    /// <summary>The strategies that found at least one thread, in the order tried.</summary>
    public IReadOnlyList<PthreadStrategy> StrategiesUsed => byLwp.Values.Select(p => p.Strategy).Distinct().Order().ToList();

    /// <param name="progress">Told how far the signature scan has come, when it runs.</param>
    public static ThreadIdentity Resolve(CoreFile core, ModuleMap modules, IdentityOptions? options = null, IProgress<WorkProgress>? progress = null)
    {
        options ??= IdentityOptions.Default;
        var identity = new ThreadIdentity(core);
        if (core.Os == CoreOs.Linux) identity.FromGlibc(modules, options);
        else if (options.UseDebuggerSymbols) identity.FromDebuggerSymbols(modules);
        if (options.UseSegmentBases && identity.Missing.Any()) identity.FromSegmentBases();
        if (options.UseSignatureScan && identity.Missing.Any()) identity.FromSignatureScan(progress);
        int missing = identity.Missing.Count();
        if (missing > 0) identity.notes.Add($"{missing} of {Plural.Of(core.Threads.Count, "thread")} {(missing == 1 ? "has" : "have")} no pthread_t");
        return identity;
    }

    private IEnumerable<CoreThread> Missing => core.Threads.Where(t => !byLwp.ContainsKey(t.Lwp));
    private AddressSpace Memory => core.Memory;

    private void Add(ThreadPthread p)
    {
        if (byLwp.TryAdd(p.Lwp, p)) byPthread.TryAdd(p.Pthread, p);
    }

    /// <summary>Strategy (a), spec §9.3: libthr_db's walk of <c>_thread_list</c>.</summary>
    private void FromDebuggerSymbols(ModuleMap modules)
    {
        var libthr = modules.Modules.FirstOrDefault(m => m.FileName.StartsWith("libthr.so", StringComparison.Ordinal) && m.Image is not null);
        if (libthr?.Image is not { } image)
        {
            notes.Add("debugger symbols: libthr.so is not mapped, or neither the core nor --sysroot has its ELF image");
            return;
        }
        var list = image.FindSymbol("_thread_list");
        int? tid = ReadIntSymbol(libthr, "_thread_off_tid"), next = ReadIntSymbol(libthr, "_thread_off_next"),
            tcb = ReadIntSymbol(libthr, "_thread_off_tcb"), state = ReadIntSymbol(libthr, "_thread_off_state");
        if (list is null || tid is null || next is null || tcb is null)
        {
            notes.Add($"debugger symbols: {libthr.Path} lacks _thread_list or a _thread_off_tid/next/tcb value ({image.View.Origin})");
            return;
        }
        if (!Plausible(tid.Value) || !Plausible(next.Value) || !Plausible(tcb.Value))
        {
            notes.Add($"debugger symbols: implausible offsets tid={tid} next={next} tcb={tcb}");
            return;
        }
        Layout = new LibthrLayout(tid.Value, next, tcb.Value, state, $"libthr debugger symbols ({image.View.Origin})");

        ulong head = libthr.AddressOf(list);
        if (!Memory.TryReadPointer(head, out ulong p))
        {
            notes.Add($"debugger symbols: _thread_list at 0x{head:x} is not in the core ({Memory.Explain(head)})");
            return;
        }
        var lwps = core.Threads.Select(t => t.Lwp).ToHashSet();
        var seen = new HashSet<ulong>();
        int found = 0, exited = 0, unknown = 0;
        while (p != 0)
        {
            if (!seen.Add(p) || seen.Count > MaxListLength)
            {
                notes.Add($"debugger symbols: _thread_list loops back to 0x{p:x}; walk stopped");
                break;
            }
            if (!Memory.TryReadUInt64(p + (ulong)tid.Value, out ulong t) || !Memory.TryReadPointer(p + (ulong)next.Value, out ulong n))
            {
                notes.Add($"debugger symbols: list element 0x{p:x} is not in the core ({Memory.Explain(p)}); walk stopped");
                break;
            }
            if (t is 0 or TidTerminated) exited++;
            else if (t > int.MaxValue || !lwps.Contains((int)t)) unknown++;
            else
            {
                ulong? tcbAddress = Memory.TryReadPointer(p + (ulong)tcb.Value, out ulong tc) ? tc : null;
                int? st = state is { } so && Memory.TryReadUInt32(p + (ulong)so, out uint sv) ? (int)sv : null;
                Add(new ThreadPthread((int)t, p, tcbAddress, st, PthreadStrategy.DebuggerSymbols));
                found++;
            }
            p = n;
        }
        notes.Add($"debugger symbols: walked _thread_list of {libthr.Path} (offsets tid {tid}, next {next}, tcb {tcb}{(state is null ? "" : $", state {state}")}): {Plural.Of(found, "thread")} matched LWPs" +
                  (exited > 0 ? $", {exited} exited" : "") + (unknown > 0 ? $", {unknown} with a tid that is no LWP of the core" : ""));
    }

    /// <summary>
    /// An int debugger symbol's value: from the core's copy of libthr's data, else from the
    /// image file; a symbol in .bss (past p_filesz) is zero-initialised and never written.
    /// </summary>
    private int? ReadIntSymbol(LoadedModule module, string name)
    {
        if (module.Image?.FindSymbol(name) is not { } s) return null;
        if (Memory.TryReadUInt32(module.AddressOf(s), out uint v)) return (int)v;
        Span<byte> b = stackalloc byte[4];
        if (module.Image.View.Read(s.Value, b) == 4) return BitConverter.ToInt32(b);
        bool inBss = module.Image.ProgramHeaders.Any(p => p.IsLoad && s.Value >= p.VirtualAddress + p.FileSize && s.Value < p.VirtualAddress + p.MemorySize);
        return inBss ? 0 : null;
    }

    private static bool Plausible(int offset) => offset is >= 0 and < 4096 && offset % 8 == 0;

    /// <summary>Strategy (b), spec §9.4 step 1: fsbase is the TCB.</summary>
    private void FromSegmentBases()
    {
        int found = 0, with = 0;
        foreach (var t in Missing.ToList())
        {
            if (t.SegmentBases is not { FsBase: var tcb } || tcb == 0) continue;
            with++;
            if (Memory.TryReadPointer(tcb, out ulong self) && self == tcb &&
                Memory.TryReadPointer(tcb + 16, out ulong p) && Memory.TryReadUInt64(p, out ulong tid) && tid == (ulong)t.Lwp)
            {
                Add(new ThreadPthread(t.Lwp, p, tcb, null, PthreadStrategy.SegmentBases));
                found++;
            }
        }
        notes.Add(with == 0
            ? "segment bases: no thread has NT_X86_SEGBASES (gcore never writes it)"
            : $"segment bases: {found} of {Plural.Of(with, "thread")} with NT_X86_SEGBASES confirmed (TCB self-pointer, TCB+16 → pthread, pthread->tid = LWP)");
    }

    /// <summary>Strategy (c), spec §9.4 step 2: the symbol-free signature scan.</summary>
    private void FromSignatureScan(IProgress<WorkProgress>? progress)
    {
        var lwps = Missing.Select(t => t.Lwp).ToHashSet();
        var result = SignatureScan.Run(core, lwps, progress);
        notes.Add(result.Summary);
        if (result.TcbOffset is { } off && Layout is null)
            Layout = new LibthrLayout(0, null, off, null, "signature scan (pthread→TCB back-pointer offset shared by all threads)");
        foreach (var m in result.Matches) Add(new ThreadPthread(m.Lwp, m.Pthread, m.Tcb, null, PthreadStrategy.SignatureScan));
    }

    /// <summary>Resolves a <c>pthread_t</c> (spec §9.4 step 3): live thread, exited thread, or not a thread.</summary>
    public HandleResolution ResolveHandle(ulong handle)
    {
        if (byPthread.TryGetValue(handle, out var known))
            return new HandleResolution(handle, HandleStatus.Live, known.Lwp, core.Threads.First(t => t.Lwp == known.Lwp), null);
        if (core.Os == CoreOs.Linux) return ResolveGlibcHandle(handle);
        if (handle == 0 || handle % 8 != 0)
            return new HandleResolution(handle, HandleStatus.Invalid, null, null, $"0x{handle:x} is not an aligned pointer, so it cannot be a struct pthread");
        if (!Memory.TryReadUInt64(handle, out ulong tid))
            return new HandleResolution(handle, HandleStatus.Invalid, null, null, $"no struct pthread can be read there: {Memory.Explain(handle)}");
        if ((long)tid == TidTerminated)
            return new HandleResolution(handle, HandleStatus.Terminated, null, null,
                "pthread->tid is 1 (TID_TERMINATED): this thread has exited; libthr may reuse the memory for a later thread");

        var thread = tid <= int.MaxValue ? core.Threads.FirstOrDefault(t => t.Lwp == (int)tid) : null;
        if (thread is null)
            return new HandleResolution(handle, HandleStatus.Invalid, null, null,
                $"the first 8 bytes at 0x{handle:x} hold {(tid < 10_000_000 ? tid.ToString() : $"0x{tid:x}")}, which is not the LWP of any thread in the core");
        if (byLwp.TryGetValue(thread.Lwp, out var other))
            return new HandleResolution(handle, HandleStatus.Invalid, thread.Lwp, null,
                $"the tid there is LWP {thread.Lwp}, but that thread's pthread_t is 0x{other.Pthread:x}: a stale copy, not the thread's struct pthread");
        if (Layout is { TcbOffset: var off })
        {
            bool back = Memory.TryReadPointer(handle + (ulong)off, out ulong tcb) && Memory.TryReadPointer(tcb, out ulong self) && self == tcb
                        && Memory.TryReadPointer(tcb + 16, out ulong p) && p == handle;
            if (!back)
                return new HandleResolution(handle, HandleStatus.Invalid, thread.Lwp, null,
                    $"the tid there is LWP {thread.Lwp}, but the TCB back-pointer check (pthread+{off} → TCB → TCB+16 = pthread) fails");
        }
        return new HandleResolution(handle, HandleStatus.Live, thread.Lwp, thread,
            Layout is null ? "matched by pthread->tid only: no libthr layout was available to confirm the TCB back-pointer" : null);
    }

    /// <summary>The pthread_t of <paramref name="lwp"/>, if known.</summary>
    public ulong? PthreadOf(int lwp) => byLwp.TryGetValue(lwp, out var p) ? p.Pthread : null;
}

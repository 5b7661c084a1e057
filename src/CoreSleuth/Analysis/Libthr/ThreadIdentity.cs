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
public sealed class ThreadIdentity
{
    /// <summary>TID_TERMINATED: the kernel writes 1 into pthread->tid when the thread exits (spec §9.1).</summary>
    public const long TidTerminated = 1;

    private readonly CoreFile core;
    private readonly Dictionary<int, ThreadPthread> byLwp;
    private readonly Dictionary<ulong, ThreadPthread> byPthread;
    private readonly List<string> notes = [];

    // Sized for every thread at once: grown from empty, ten thousand threads' tables were allocated twice over.
    private ThreadIdentity(CoreFile core) =>
        (this.core, byLwp, byPthread) = (core, new(core.Threads.Count), new(core.Threads.Count));

    public IReadOnlyDictionary<int, ThreadPthread> ByLwp => byLwp;
    public LibthrLayout? Layout { get; internal set; }

    /// <summary>What each strategy did or why it could not be used, in order.</summary>
    public IReadOnlyList<string> Notes => notes;

    /// <summary>The strategies that found at least one thread, in the order tried.</summary>
    public IReadOnlyList<PthreadStrategy> StrategiesUsed => byLwp.Values.Select(p => p.Strategy).Distinct().Order().ToList();

    /// <param name="progress">Told how far the signature scan has come, when it runs.</param>
    public static ThreadIdentity Resolve(CoreFile core, ModuleMap modules, IdentityOptions? options = null, IProgress<WorkProgress>? progress = null)
    {
        options ??= IdentityOptions.Default;
        var identity = new ThreadIdentity(core);
        SystemConventions.Of(core).ThreadLibrary.Identify(identity, modules, options);
        // Then the TCB strategies of spec §9.4 (libthr's TCB+16 → struct pthread) for the threads still without one.
        if (options.UseSegmentBases && identity.AnyMissing) identity.FromSegmentBases();
        if (options.UseSignatureScan && identity.AnyMissing) identity.FromSignatureScan(progress);
        int missing = identity.AnyMissing ? identity.Missing.Count() : 0;
        if (missing > 0) identity.notes.Add($"{missing} of {Plural.Of(core.Threads.Count, "thread")} {(missing == 1 ? "has" : "have")} no pthread_t");
        return identity;
    }

    private IEnumerable<CoreThread> Missing => core.Threads.Where(t => !byLwp.ContainsKey(t.Lwp));

    /// <summary>
    /// Whether a thread has no pthread_t yet. Only LWPs of the core's threads are added, so with as
    /// many as there are threads none is missing: ten thousand lookups fewer each time it is asked.
    /// </summary>
    private bool AnyMissing => byLwp.Count < core.Threads.Count && Missing.Any();

    /// <summary>Whether <paramref name="pthread"/> is a thread's pthread_t already.</summary>
    internal bool Knows(ulong pthread) => byPthread.ContainsKey(pthread);
    internal AddressSpace Memory => core.Memory;
    internal CoreFile Core => core;

    internal void Note(string note) => notes.Add(note);

    /// <summary>Adds a thread's pthread_t; false when its LWP has one already (the first is kept).</summary>
    internal bool Add(ThreadPthread p)
    {
        if (!byLwp.TryAdd(p.Lwp, p)) return false;
        byPthread.TryAdd(p.Pthread, p);
        return true;
    }

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
        return SystemConventions.Of(core).ThreadLibrary.ResolveUnknown(this, handle);
    }

    /// <summary>The pthread_t of <paramref name="lwp"/>, if known.</summary>
    public ulong? PthreadOf(int lwp) => byLwp.TryGetValue(lwp, out var p) ? p.Pthread : null;
}

using System.Collections.Concurrent;
using CoreSleuth.Analysis.Activity;
using CoreSleuth.Analysis.Crash;
using CoreSleuth.Analysis.Diagnosis;
using CoreSleuth.Analysis.Libthr;
using CoreSleuth.Analysis.Modules;
using CoreSleuth.Analysis.MySql;
using CoreSleuth.Analysis.Symbols;
using CoreSleuth.Analysis.Syscalls;
using CoreSleuth.Analysis.Unwind;
using CoreSleuth.Analysis.WaitGraph;
using CoreSleuth.Diagnostics;
using CoreSleuth.FreeBsd;
using CoreSleuth.FreeBsd.Syscalls;
using CoreSleuth.FreeBsd.WaitMessages;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis;

/// <summary>Where a handle to resolve came from.</summary>
public enum HandleSource { Argument, InnodbStatus, Processlist }

/// <summary>What to analyse besides the core: handles, the DBA's InnoDB/processlist text, a sysroot.</summary>
public sealed record AnalysisOptions
{
    public IReadOnlyList<ulong> Handles { get; init; } = [];
    public string? InnodbStatus { get; init; }
    public string? Processlist { get; init; }

    /// <summary>How warnings name the InnoDB status input (its file); "text" when not given.</summary>
    public string InnodbStatusName { get; init; } = "text";

    /// <summary>Linux: the threads' wait channels read on the live host (--wchan), joined by LWP.</summary>
    public WaitChannelText? WaitChannels { get; init; }

    /// <summary>How warnings name the wait-channel input (its file).</summary>
    public string WaitChannelsName { get; init; } = "text";

    /// <summary>How warnings name the processlist input (its file); "text" when not given.</summary>
    public string ProcesslistName { get; init; } = "text";
    public string? Sysroot { get; init; }

    /// <summary>What reports call <see cref="Sysroot"/>'s root: the archive it was unpacked from; null for the folder itself.</summary>
    public string? SysrootName { get; init; }

    /// <summary>Binaries to use for the modules they are the image of, whatever their file name (e.g. the exact mysqld that ran).</summary>
    public IReadOnlyList<string> Binaries { get; init; } = [];

    /// <summary>The executable that ran (--exe), under any name.</summary>
    public string? Executable { get; init; }
    public IdentityOptions Identity { get; init; } = IdentityOptions.Default;

    /// <summary>At most this many bytes of writable memory are searched for statements mentioning a blocked-open path.</summary>
    public long MemorySearchLimit { get; init; } = MemoryText.DefaultLimit;

    /// <summary>
    /// Whether memory is searched for the statements that mention blocked-open paths: the
    /// findings' evidence. Reports that show no findings (a thread list, backtraces) skip it.
    /// </summary>
    public bool SearchStatements { get; init; } = true;

    /// <summary>
    /// Whether the threads are diagnosed: what each is doing, blocked opens, the wait-for graph,
    /// the crash. Backtraces show none of it and skip it (a tenth of a 10,000-thread run); each
    /// thread's system call is still located (a syscall stub's frame 0) and an open() described
    /// (my_open's arguments in its frame).
    /// </summary>
    public bool Diagnose { get; init; } = true;

    /// <summary>
    /// Whether, when the threads are diagnosed, the hang is explained: each thread described (what
    /// it is doing), its system call decoded, blocked opens diagnosed, the wait-for graph built (who
    /// waits for whom, deadlocks, roots, InnoDB semaphore waits) and a crash found. A thread list and
    /// a handle lookup show none of it and skip it (a sixth of their time at 10,000 threads); an
    /// open()'s arguments are still decoded, and with a processlist every call's, whose paths join
    /// statements to threads.
    /// </summary>
    public bool DescribeHang { get; init; } = true;

    /// <summary>Whether many stacks may be walked on two cores at once; the frames are the same either way.</summary>
    public bool ParallelWalks { get; init; } = true;

    /// <summary>
    /// Whether every frame keeps the callee-saved registers its unwind recovered, and where each came
    /// from: the JSON reports show them, the text and Markdown reports do not. A thread blocked in
    /// open() keeps them either way (its my_open frame's arguments are checked against them). Ten
    /// thousand threads' frames held 15 MiB of them.
    /// </summary>
    public bool FrameRegisters { get; init; } = true;

    /// <summary>
    /// The LWPs whose stacks are walked and named; null for every thread. A thread list needs
    /// none, the backtrace of one thread only its own.
    /// </summary>
    public IReadOnlySet<int>? WalkStacksOf { get; init; }

    /// <summary>
    /// Told how far the steps that can take seconds on a large core have come: decompression of a
    /// compressed core (when the analysis opens it), the pthread signature scan, the statement search.
    /// Reports may come from another thread than the caller's.
    /// </summary>
    public IProgress<WorkProgress>? Progress { get; init; }
}

/// <summary>How a MySQL session was joined to a thread.</summary>
public enum SessionJoinKind
{
    /// <summary>InnoDB status gave the session's OS thread handle, which is the thread's pthread_t.</summary>
    OsThreadHandle,

    /// <summary>
    /// Only the processlist names the session: its statement is the only one that mentions the
    /// path the thread's system call names, and no other thread's call names that path.
    /// </summary>
    StatementPath,
}

/// <summary>A join of a session to a thread; <see cref="Path"/> is the path of a <see cref="SessionJoinKind.StatementPath"/> join.</summary>
public sealed record SessionJoin(SessionJoinKind Kind, string? Path = null);

/// <summary>One thread with everything the analysis learned about it.</summary>
/// <remarks>
/// What the later stages learn (frames, description, sleep, waits) is set on the thread's own
/// record while the analysis runs, not on a copy per stage: three copies of ten thousand threads.
/// </remarks>
public sealed record ThreadAnalysis(
    CoreThread Thread,
    ulong? Pthread,
    ThreadDisplayState State,
    WaitMessageInfo? Wait,
    SyscallSite? Site,
    SyscallDescription? Syscall,
    MySqlSession? Session)
{
    /// <summary>The thread's pthread_t; set once libthr's threads are read, after its system call.</summary>
    public ulong? Pthread { get; internal set; } = Pthread;

    /// <summary>The MySQL session run by this thread, from InnoDB status or the processlist; set with <see cref="Pthread"/>.</summary>
    public MySqlSession? Session { get; internal set; } = Session;

    /// <summary>The thread's stack, innermost first, each frame named; empty when not unwound.</summary>
    public IReadOnlyList<NamedFrame> Frames { get; internal set; } = [];

    /// <summary>Why the stack walk stopped where it did.</summary>
    public string? UnwindStop { get; internal set; }

    /// <summary>How <see cref="Session"/> was joined to this thread; null without a session.</summary>
    public SessionJoin? Join { get; internal set; }

    /// <summary>Reconstructed arguments of known frames (my_open), by frame index.</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<FrameArgument>> FrameArguments { get; internal set; } = System.Collections.ObjectModel.ReadOnlyDictionary<int, IReadOnlyList<FrameArgument>>.Empty;

    /// <summary>What the thread is and does (category, sentence); set once its stack is known.</summary>
    public ThreadDescription? Description { get; internal set; }

    /// <summary>How long it has been asleep (ki_slptime); null without kinfo_proc or when not asleep.</summary>
    public SleepTime? Sleep { get; internal set; }

    /// <summary>What it waits for and who holds it: its edges of the wait-for graph.</summary>
    public IReadOnlyList<WaitEdge> WaitsFor { get; internal set; } = [];

    /// <summary>Linux: the kernel function the thread sleeps in, from --wchan (the core has none); null without.</summary>
    public string? WaitChannel { get; init; }
}

/// <summary>A frame of a backtrace with its function name (return addresses are looked up at pc−1, inside the call).</summary>
/// <remarks>A value, not an object: ten thousand threads have over a hundred thousand frames.</remarks>
public readonly record struct NamedFrame(StackFrame Frame, SymbolizedAddress Symbol);

/// <summary>A handle and what it resolved to.</summary>
public sealed record ResolvedHandle(HandleResolution Resolution, HandleSource Source, MySqlSession? Session);

/// <summary>
/// The whole analysis of one core: threads with their blocking syscalls and pthread_t,
/// MySQL sessions joined to threads, handle resolutions and findings. Owns the opened core.
/// </summary>
public sealed class CoreAnalysis : IDisposable
{
    private bool ownsCore;

    /// <summary>Distinct blocked-open paths whose mentions are searched for in memory.</summary>
    public const int MaxPathSearches = 16;

    /// <summary>Fewer stacks than this are walked on one thread: starting a second costs more than it saves.</summary>
    public const int ParallelWalkMinimum = 64;

    /// <summary>How many threads' stacks a core takes at a time when both walk.</summary>
    private const int WalkBlock = 32;

    private CoreAnalysis(CoreFile core, ModuleMap modules, ThreadIdentity identity)
    {
        Core = core;
        Modules = modules;
        Identity = identity;
    }

    public CoreFile Core { get; }
    public ModuleMap Modules { get; }
    public ThreadIdentity Identity { get; }
    public IReadOnlyList<ThreadAnalysis> Threads { get; private set; } = [];
    public IReadOnlyList<MySqlSession> Sessions { get; private set; } = [];
    public IReadOnlyList<ResolvedHandle> Handles { get; private set; } = [];
    public IReadOnlyList<BlockedFifoOpen> Findings { get; private set; } = [];

    private Dictionary<int, ThreadAnalysis> byLwp = [];

    /// <summary>The analysed thread with this LWP (the first, should a damaged core repeat one); null when none.</summary>
    public ThreadAnalysis? ThreadOf(int lwp) => byLwp.GetValueOrDefault(lwp);

    /// <summary>Who waits for whom: threads as nodes, "waits for" edges.</summary>
    public WaitForGraph Graph { get; private set; } = new([]);

    /// <summary>Cycles of the wait-for graph.</summary>
    public IReadOnlyList<Deadlock> Deadlocks { get; private set; } = [];

    /// <summary>The roots others wait behind, most waiters first.</summary>
    public IReadOnlyList<BlockedBehind> Roots { get; private set; } = [];

    /// <summary>InnoDB latch waits past InnoDB's own "long" threshold.</summary>
    public IReadOnlyList<LongSemaphoreWait> SemaphoreWaits { get; private set; } = [];

    /// <summary>The fatal signal of a kernel core and the thread that took it; null for gcore and gdb cores.</summary>
    public FatalSignal? Crash { get; private set; }

    /// <summary>What the diagnosis could not look at (threads lost with the notes, memory a finding needed); empty when it saw everything.</summary>
    public IReadOnlyList<string> Incomplete { get; private set; } = [];

    /// <summary>What the InnoDB status and processlist inputs could not give (no sessions, unreadable lines).</summary>
    public IReadOnlyList<string> InputWarnings { get; private set; } = [];

    /// <summary>Warnings of every stage: the core, modules, identity, the MySQL inputs; when stacks were walked, the images whose code is missing.</summary>
    public IReadOnlyList<string> Warnings => [.. Core.Warnings, .. Modules.Warnings, .. InputWarnings, .. (WalkedStacks && Modules.MissingCode is { } m ? [m] : Array.Empty<string>())];

    /// <summary>Some thread's stack was walked: the report shows frames.</summary>
    private bool WalkedStacks { get; set; }

    /// <exception cref="Elf.CoreFormatException">The core's ELF header is unusable.</exception>
    /// <exception cref="Elf.UnsupportedCoreException">Not a FreeBSD amd64 core.</exception>
    public static CoreAnalysis Run(string corePath, AnalysisOptions options, StageTimings? timings = null)
    {
        CoreFile core;
        using (timings.Measure("open and notes")) core = CoreFile.Open(corePath, options.Progress);
        try
        {
            var analysis = Run(core, options, timings);
            analysis.ownsCore = true;
            return analysis;
        }
        catch { core.Dispose(); throw; }
    }

    /// <summary>What does not fit in the --wchan input: another process, lines not read, no thread of the core, a FreeBSD core.</summary>
    private static IEnumerable<string> WaitChannelWarnings(CoreFile core, WaitChannelText wchans, string name)
    {
        if (SystemConventions.Of(core).Waits.WaitChannelsUnused is { } unused)
        {
            yield return $"--wchan {name}: {unused}";
            yield break;
        }
        if (wchans.UnreadLines.Count > 0)
            yield return $"--wchan {name}: {Count(wchans.UnreadLines.Count, "line")} not of the form /proc/PID/task/TID/wchan:NAME (grep -H . /proc/PID/task/*/wchan), from line {wchans.UnreadLines[0]}";
        if (core.Process.Pid is { } pid && wchans.Pids.Count > 0 && !wchans.Pids.Contains(pid))
            yield return $"--wchan {name}: the lines are of process {string.Join(", ", wchans.Pids)}, the core of process {pid}";
        int matched = core.Threads.Count(t => wchans.ByLwp.ContainsKey(t.Lwp));
        if (wchans.ByLwp.Count > 0 && matched == 0)
            yield return $"--wchan {name}: none of its {wchans.ByLwp.Count} threads is a thread of the core";
        else if (wchans.ByLwp.Count == 0 && wchans.UnreadLines.Count == 0)
            yield return $"--wchan {name}: no wait channel in it";
    }

    /// <summary>Analyses an opened core; the caller keeps owning <paramref name="core"/>.</summary>
    /// <param name="timings">Where to add the time of each stage (--timings), or null.</param>
    public static CoreAnalysis Run(CoreFile core, AnalysisOptions options, StageTimings? timings = null)
    {
        var sysroot = options.Sysroot is null ? null : new Sysroot(options.Sysroot) { DisplayRoot = options.SysrootName };
        ModuleMap modules;
        using (timings.Measure("modules")) modules = ModuleMap.Discover(core, sysroot, options.Binaries, options.Executable);
        var cfi = new ModuleMapCfiProvider(modules, core.Process);
        var unwinder = new Unwinder(new AddressSpaceStackMemory(core.Memory), cfi);
        var symbolizer = new Symbolizer(modules);
        var names = new ConcurrentDictionary<(ulong Pc, bool Exact), SymbolizedAddress>();

        var sessions = new List<MySqlSession>();
        var inputWarnings = new List<string>();
        if (options.InnodbStatus is { } innodb)
        {
            var read = MySqlSessions.ReadInnodbStatus(innodb);
            sessions.AddRange(read.Sessions);
            inputWarnings.AddRange(WarningsOf(read, $"--innodb-status {options.InnodbStatusName}",
                "no 'MySQL thread id N, OS thread handle H' line found; is it the output of SHOW ENGINE INNODB STATUS?",
                n => $"{(n == 1 ? "1 line mentions" : $"{n} lines mention")} 'MySQL thread id' but could not be read (not 'MySQL thread id N, OS thread handle H, query id Q', or a number out of range)"));
        }
        if (options.Processlist is { } processlist)
        {
            var read = MySqlSessions.ReadProcesslist(processlist);
            sessions.AddRange(read.Sessions);
            inputWarnings.AddRange(WarningsOf(read, $"--processlist {options.ProcesslistName}",
                "no row with an Id found; is it the output of SHOW FULL PROCESSLIST?",
                n => $"{Count(n, "row")} without a usable Id could not be read"));
        }
        if (options.WaitChannels is { } wchans) inputWarnings.AddRange(WaitChannelWarnings(core, wchans, options.WaitChannelsName));

        var strings = new CoreStringSource(core.Memory);
        bool explain = options.Diagnose && options.DescribeHang;
        // An array: each stack walk writes only its own thread's slot, so two threads can fill it at once.
        var threads = new ThreadAnalysis[core.Threads.Count];
        var system = SystemConventions.Of(core);
        var walked = Enumerable.Range(0, threads.Length)
            .Where(i => options.WalkStacksOf is not { } only || only.Contains(core.Threads[i].Lwp)).ToArray();
        // A thread's system call serves its diagnosis, its stack walk (frame 0 at a system call)
        // and the join of processlist rows by the path a statement opens; a thread list or a
        // handle lookup without a processlist needs none of them.
        bool joinsByPath = options.Diagnose && options.Processlist is not null;
        bool locate = explain || walked.Length > 0 || joinsByPath;
        // Many stacks are walked on both cores, in blocks taken by whichever is free: this one once
        // it has decoded every thread's system call, and the other once it has found the pthread_t
        // (libthr's thread list, thousands of reads of struct pthread), joined the sessions and
        // started the statement search, which it then runs before it walks. The walks are
        // independent, and what they share (CFI rows, symbol tables, names) is kept in thread-safe
        // caches; they read no pthread_t or session. With many threads and few stacks (a thread
        // list), the other core finds the pthread_t all the same while this one decodes.
        bool parallel = options.ParallelWalks && Environment.ProcessorCount > 1;
        bool share = parallel && walked.Length >= ParallelWalkMinimum;
        bool early = share || (parallel && threads.Length >= ParallelWalkMinimum);
        int nextBlock = 0;
        ThreadIdentity identity = null!;
        List<(ThreadAnalysis Thread, BlockedFifoOpen Finding)> blocked = [];
        MemoryText.Search? statements = null;
        // The other core's work: with many threads the pthread_t, then (once this core has decoded
        // the threads) the sessions, the search and stacks; with few, the search alone (this core
        // having found the pthread_t), or nothing.
        using var decoded = new ManualResetEventSlim();
        using var searchDecided = new ManualResetEventSlim();
        Task<(MemoryTextSearch? Found, StageTimings? Timings)>? other = !early ? null : Task.Run(() =>
        {
            var otherTimings = timings is null ? null : new StageTimings();
            try
            {
                using (otherTimings.Measure("pthread_t")) identity = ThreadIdentity.Resolve(core, modules, options.Identity, options.Progress);
                decoded.Wait();
                statements = JoinAndStartSearch();
            }
            finally { searchDecided.Set(); }
            var found = Search(otherTimings);
            if (share) WalkBlocks(new Unwinder(new AddressSpaceStackMemory(core.Memory), cfi), otherTimings, " (on another thread)");
            return (found, otherTimings);
        });
        try
        {
            // First what every thread is doing (state, system call): enough to walk its stack. Its
            // pthread_t, session and whether it is blocked opening a FIFO (whose path the statement
            // search looks for) follow once the pthread_t are known.
            for (int i = 0; i < threads.Length; i++)
            {
                var t = core.Threads[i];
                var kinfo = t.FreeBsd?.Kinfo;
                var state = ThreadStateInterpreter.Interpret(kinfo?.State, t.WaitMessage, (ulong)(kinfo?.ThreadFlags ?? 0), core.Producer,
                    kinfo?.LockName, OnCpu(kinfo));
                SyscallSite? site = null;
                SyscallDescription? syscall = null;
                if (locate)
                    using (timings.Measure("syscalls"))
                    {
                        site = system.Syscalls.Locate(t, core, modules);
                        syscall = explain || joinsByPath || site?.OpenArguments is not null ? site?.Describe(strings) : null;
                    }
                threads[i] = new ThreadAnalysis(t, null, state, system.Waits.Lookup(t), site, syscall, null)
                {
                    WaitChannel = system.Waits.WaitChannelsUnused is null ? options.WaitChannels?.ByLwp.GetValueOrDefault(t.Lwp) : null,
                };
            }
            decoded.Set();
            // What the file lacks (told once, when first asked) is told here, while the other core
            // may still be finding the pthread_t, rather than for the report after it.
            _ = core.Completeness;
            if (!early)
            {
                using (timings.Measure("pthread_t")) identity = ThreadIdentity.Resolve(core, modules, options.Identity, options.Progress);
                statements = JoinAndStartSearch();
                searchDecided.Set();
                other = statements is null ? null : Task.Run(() =>
                {
                    var searchTimings = timings is null ? null : new StageTimings();
                    return (Search(searchTimings), searchTimings);
                });
            }
            if (share) WalkBlocks(unwinder, timings, "");
            else Walk(walked, unwinder, timings, "");
            // Done with the stacks, this core reads the far end of the search's memory meanwhile, once
            // the other has started it (nothing, when the search has finished: measured all the same,
            // so --timings always lists the same stages). Until then, with many threads and few stacks,
            // this core waits for the other's pthread_t (measured: it is most of what a thread list of thousands waits for).
            using (early ? timings.Measure("waiting for pthread_t") : default) searchDecided.Wait();
            if (statements is not null)
                using (timings.Measure("helping the search")) statements.Help();
        }
        finally
        {
            // The other core reads the core, which the caller disposes once this returns or throws:
            // wait for it either way (told to go on if this one failed while decoding; its own
            // failure is then swallowed, this one's thrown). Its failure is rethrown below, by GetResult.
            decoded.Set();
            if (other is not null)
                using (timings.Measure(early ? "waiting for the other core" : "waiting for search"))
                    try { other.Wait(); }
                    catch (AggregateException) { }
        }
        // What the other thread measured is listed after this one's stages.
        var (memoryText, elsewhere) = other?.GetAwaiter().GetResult() ?? (null, null);
        var analysis = new CoreAnalysis(core, modules, identity) { Sessions = sessions, InputWarnings = inputWarnings };

        if (explain)
        {
            // A thread diagnosed as blocked opening a FIFO is waiting for its peer, also where no wait message survived (kernel, gdb cores).
            var fifoOpens = blocked.GroupBy(b => b.Thread.Thread.Lwp).ToDictionary(g => g.Key, g => g.First().Finding!);
            foreach (var thread in threads)
            {
                // Described where its stack was walked; a thread whose stack was not, here.
                if (thread.Description is null) Describe(thread);
                if (fifoOpens.TryGetValue(thread.Thread.Lwp, out var fifo) && thread.Description!.Category != ThreadCategory.WaitingForPeer)
                    thread.Description = thread.Description with
                    {
                        Category = ThreadCategory.WaitingForPeer, Basis = "system call",
                        Sentence = fifo.Direction == OpenDirection.Write ? "blocked opening a FIFO for writing: waiting for a reader" : "blocked opening a FIFO for reading: waiting for a writer",
                    };
            }
            using (timings.Measure("wait-for graph"))
            {
                var semaphores = options.InnodbStatus is { } status ? InnodbSemaphores.Read(status) : [];
                var graph = new WaitForGraph(WaitEdges.Build(threads, core, identity, semaphores));
                for (int i = 0; i < threads.Length; i++)
                    if (graph.WaitsFor(threads[i].Thread.Lwp) is { Count: > 0 } edges) threads[i].WaitsFor = edges;
                analysis.byLwp = FirstByLwp(threads);
                analysis.Graph = graph;
                analysis.Deadlocks = HangFindings.Deadlocks(graph, analysis.ThreadOf, core.Producer);
                analysis.Roots = HangFindings.Roots(graph, analysis.ThreadOf, core.Producer, fifoOpens.Keys.ToHashSet());
                analysis.SemaphoreWaits = InnodbSemaphoreWaits.Findings(semaphores, graph.Edges, identity, analysis.ThreadOf, core.Producer);
            }
        }
        else analysis.byLwp = FirstByLwp(threads);
        analysis.Threads = threads;
        if (explain) analysis.Crash = FatalSignal.Find(core, modules, threads);
        analysis.WalkedStacks = options.WalkStacksOf is not { Count: 0 };

        var handles = new List<ResolvedHandle>();
        var seen = new HashSet<(ulong, HandleSource)>();
        foreach (ulong h in options.Handles)
            if (seen.Add((h, HandleSource.Argument)))
                handles.Add(new ResolvedHandle(identity.ResolveHandle(h), HandleSource.Argument, sessions.FirstOrDefault(s => s.OsThreadHandle == h)));
        foreach (var s in sessions.Where(s => s.OsThreadHandle is not null))
            if (seen.Add((s.OsThreadHandle!.Value, HandleSource.InnodbStatus)))
                handles.Add(new ResolvedHandle(identity.ResolveHandle(s.OsThreadHandle.Value), HandleSource.InnodbStatus, s));
        analysis.Handles = handles;

        if (elsewhere is not null) timings!.AddConcurrent(elsewhere);
        analysis.Findings = memoryText is null
            ? [.. blocked.Select(b => b.Finding)]
            : [.. blocked.Select(b => BlockedFifoOpen.Diagnose(b.Thread, core, memoryText)!)];
        analysis.Incomplete = VerdictLimits.Of(core, analysis.Findings);
        return analysis;

        // Each thread's pthread_t and session, the sessions joined by statement path, the blocked
        // opens diagnosed once without the search to learn their paths (only they are diagnosed
        // again with it), and the search of up to options.MemorySearchLimit bytes of the file for
        // the first MaxPathSearches paths started; null when there is nothing to search for.
        MemoryText.Search? JoinAndStartSearch()
        {
            foreach (var thread in threads)
            {
                ulong? pthread = identity.PthreadOf(thread.Thread.Lwp);
                var session = SessionOf(pthread, sessions);
                (thread.Pthread, thread.Session, thread.Join) = (pthread, session, session is null ? null : new SessionJoin(SessionJoinKind.OsThreadHandle));
            }
            JoinByStatementPath(threads, sessions);
            blocked = !explain ? [] : [.. threads
                .Select(t => (Thread: t, Finding: BlockedFifoOpen.Diagnose(t, core, MemoryTextSearch.Empty)))
                .Where(b => b.Finding is not null).Select(b => (b.Thread, b.Finding!))];
            var paths = blocked.Select(b => b.Finding.Path).OfType<string>().Distinct(StringComparer.Ordinal).Take(MaxPathSearches).ToList();
            return paths.Count == 0 || !options.SearchStatements ? null : MemoryText.Start(core, paths, options.MemorySearchLimit, options.Progress);
        }

        // The statement search, if one was started: what it found in memory.
        MemoryTextSearch? Search(StageTimings? searchTimings)
        {
            if (statements is null) return null;
            using (searchTimings.Measure("statement search")) return statements.Run();
        }

        // The next blocks of the walked threads not yet taken, until none is left.
        void WalkBlocks(Unwinder unwinder, StageTimings? timings, string stage)
        {
            for (int start; (start = Interlocked.Add(ref nextBlock, WalkBlock) - WalkBlock) < walked.Length;)
                Walk(walked.AsSpan(start, Math.Min(WalkBlock, walked.Length - start)), unwinder, timings, stage);
        }

        // Each thread's stack, names and my_open arguments; writes only the threads it was given.
        void Walk(ReadOnlySpan<int> indexes, Unwinder unwinder, StageTimings? timings, string stage)
        {
            // Named once per block, not per thread (the names are made even when nothing is timed).
            string unwind = "unwind" + stage, symbols = "symbols" + stage, myOpen = "my_open arguments" + stage;
            foreach (int i in indexes)
            {
                var thread = threads[i];
                StackWalk walk;
                using (timings.Measure(unwind)) walk = unwinder.Walk(thread.Thread.Registers, atSyscall: thread.Site is not null,
                    frameRegisters: options.FrameRegisters || thread.Site?.OpenArguments is not null);
                NamedFrame[] frames;
                using (timings.Measure(symbols))
                {
                    frames = new NamedFrame[walk.Frames.Count];
                    for (int k = 0; k < frames.Length; k++) frames[k] = new NamedFrame(walk.Frames[k], Name(walk.Frames[k], symbolizer, names));
                }
                (thread.Frames, thread.UnwindStop) = (frames, walk.StopReason);
                // A dictionary only for the few threads with a my_open frame.
                Dictionary<int, IReadOnlyList<FrameArgument>>? arguments = null;
                using (timings.Measure(myOpen))
                    for (int k = 0; k < frames.Length; k++)
                        if (MyOpenArguments.For(thread, k, core.Memory) is { } a) (arguments ??= [])[k] = a;
                if (arguments is not null) thread.FrameArguments = arguments;
                // What it is and does, from its stack, system call and wait; no pthread_t or session.
                if (explain) Describe(thread);
            }
        }

        void Describe(ThreadAnalysis thread) =>
            (thread.Description, thread.Sleep) = (ThreadDescriber.Describe(thread), ThreadDescriber.Sleep(thread, core.Producer));
    }

    /// <summary>
    /// A caller frame's pc is a return address, which may lie just past its function when the call
    /// ends it: look it up at pc−1 and report the offset of pc itself. Exact pcs (the thread's own,
    /// or restored from a signal context) are looked up as they are.
    /// </summary>
    /// <remarks>
    /// Each (pc, exact) is named once, in <paramref name="named"/>: ten thousand idle threads share
    /// a few dozen return addresses, and a lookup and two records per frame were a tenth of the run's
    /// allocation.
    /// </remarks>
    private static SymbolizedAddress Name(StackFrame frame, Symbolizer symbolizer, ConcurrentDictionary<(ulong Pc, bool Exact), SymbolizedAddress> named)
    {
        bool exact = frame.Index == 0 || frame.Trust == FrameTrust.SignalContext;
        if (named.TryGetValue((frame.Pc, exact), out var known)) return known;
        var found = symbolizer.Lookup(exact ? frame.Pc : frame.Pc - 1);
        return named.GetOrAdd((frame.Pc, exact),
            exact || found.Symbol is null ? found with { Address = frame.Pc } : found with { Address = frame.Pc, Offset = found.Offset + 1 });
    }

    /// <summary>ki_oncpu_old is NOCPU (255) when the thread is on no CPU; it exists in 10.x and is kept up to date later (spec §4).</summary>
    /// <summary>Each LWP's thread, the first where an LWP repeats (a hostile core may repeat one).</summary>
    private static Dictionary<int, ThreadAnalysis> FirstByLwp(ThreadAnalysis[] threads)
    {
        var byLwp = new Dictionary<int, ThreadAnalysis>(threads.Length);
        foreach (var t in threads) byLwp.TryAdd(t.Thread.Lwp, t);
        return byLwp;
    }

    private static bool? OnCpu(KinfoProc? k) => k is null ? null : k.OnCpuOld != 0xFF;

    /// <summary>The InnoDB session whose OS thread handle is this thread's pthread_t, enriched from the processlist row with the same id.</summary>
    private static MySqlSession? SessionOf(ulong? pthread, List<MySqlSession> sessions)
    {
        if (pthread is null) return null;
        var innodb = sessions.FirstOrDefault(s => s.OsThreadHandle == pthread);
        if (innodb is null) return null;
        var row = sessions.FirstOrDefault(s => s.Source == SessionSource.Processlist && s.ThreadId == innodb.ThreadId);
        return row is null ? innodb : innodb with
        {
            Command = row.Command, TimeSeconds = row.TimeSeconds, Database = row.Database,
            State = innodb.State ?? row.State, Query = row.Query ?? innodb.Query,
        };
    }

    /// <summary>
    /// Without InnoDB text, a processlist row cannot be joined by handle (the processlist has
    /// no handle column); a path that one thread's system call names and exactly one
    /// statement quotes is the next best join. A path that two threads name joins neither.
    /// </summary>
    private static void JoinByStatementPath(ThreadAnalysis[] threads, List<MySqlSession> sessions)
    {
        var joined = threads.Select(t => t.Session?.ThreadId).OfType<long>().ToHashSet();
        var rows = sessions.Where(s => s.Source == SessionSource.Processlist && s.Query is not null && !joined.Contains(s.ThreadId)).ToList();
        if (rows.Count == 0) return;
        var byPath = Enumerable.Range(0, threads.Length)
            .Where(i => threads[i].Session is null)
            .Select(i => (Index: i, Path: (threads[i].Syscall?.Arguments.FirstOrDefault(a => a.Kind == SyscallArgKind.Path)?.String as CString.Ok)?.Text))
            .Where(c => c.Path is { Length: > 0 })
            .GroupBy(c => c.Path!, StringComparer.Ordinal);
        var pairs = new List<(int Index, string Path, MySqlSession Row)>();
        foreach (var callers in byPath)
        {
            if (callers.Count() != 1) continue;
            var quoting = rows.Where(s => s.Query!.Contains(callers.Key, StringComparison.Ordinal)).ToList();
            if (quoting.Count == 1) pairs.Add((callers.First().Index, callers.Key, quoting[0]));
        }
        // A statement that quotes the paths of two threads joins neither.
        foreach (var (i, path, row) in pairs.Where(p => pairs.Count(q => q.Row == p.Row) == 1))
            (threads[i].Session, threads[i].Join) = (row, new SessionJoin(SessionJoinKind.StatementPath, path));
    }

    /// <summary>One warning for an input that gave no session, one for lines that looked like sessions but could not be read.</summary>
    private static IEnumerable<string> WarningsOf(SessionText read, string input, string nothing, Func<int, string> unread)
    {
        if (read.Sessions.Count == 0) yield return $"{input}: {nothing}";
        if (read.UnreadLines.Count > 0)
        {
            string where = string.Join(", ", read.UnreadLines.Take(5)) + (read.UnreadLines.Count > 5 ? ", …" : "");
            yield return $"{input}: {unread(read.UnreadLines.Count)} ({(read.UnreadLines.Count == 1 ? "line" : "lines")} {where})";
        }
    }

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    public void Dispose()
    {
        Modules.Dispose();
        if (ownsCore) Core.Dispose();
    }
}

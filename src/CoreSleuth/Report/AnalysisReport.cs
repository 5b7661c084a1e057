using System.Collections.ObjectModel;
using System.Text.Json.Serialization;
using CoreSleuth.Analysis;
using CoreSleuth.Analysis.Diagnosis;
using CoreSleuth.Analysis.Libthr;
using CoreSleuth.Analysis.Unwind;
using CoreSleuth.FreeBsd.Syscalls;
using CoreSleuth.Model;

namespace CoreSleuth.Report;

/// <summary>
/// The report of <c>coresleuth analyze</c>. Its JSON form is the contract "coresleuth.analyze/2"
/// (docs/json.md, docs/schemas/analyze.schema.json): other tools depend on these names — add fields, rename none.
/// </summary>
public sealed record AnalysisReport(
    string Schema,
    ReportCore Core,
    ReportProcess Process,
    IReadOnlyList<ReportThread> Threads,
    IReadOnlyList<ReportFinding> Findings,
    IReadOnlyList<ReportHandle> Handles,
    IReadOnlyList<string> Warnings)
{
    public const string SchemaName = ReportSchemas.Analyze;

    /// <summary>How each thread's pthread_t was found (spec §9), and what each strategy did.</summary>
    public ReportIdentity? Identity { get; init; }

    /// <summary>
    /// What the diagnosis could not look at (threads whose notes are past the end of the file,
    /// memory a finding needed), one sentence each; empty when it saw the whole process.
    /// </summary>
    public IReadOnlyList<string> Incomplete { get; init; } = [];

    /// <summary>Threads grouped by identical backtraces, most common first (as pt-pmp does).</summary>
    public IReadOnlyList<ReportStackGroup> Stacks { get; init; } = [];

    /// <summary>Who waits for whom: the threads some edge joins, and the edges.</summary>
    public ReportGraph Graph { get; init; } = new([], []);

    /// <summary>The fatal signal of a kernel core and the thread that took it; null when the core records none (gcore, gdb).</summary>
    public ReportCrash? Crash { get; init; }

    public static AnalysisReport Build(CoreAnalysis analysis, string coreFile)
    {
        var core = analysis.Core;
        var p = core.Process;
        var threads = InParallel.Map(analysis.Threads, ReportThread.Build);
        var findings = ReportFinding.BuildAll(analysis);
        var handles = analysis.Handles.Select(ReportHandle.Build).ToList();
        return new AnalysisReport(
            SchemaName, ReportCore.Build(core, coreFile), ReportProcess.Build(core),
            threads, findings, handles, [.. analysis.Warnings])
        {
            Identity = new ReportIdentity(
                analysis.Identity.StrategiesUsed.Select(StrategyName).ToList(),
                analysis.Identity.Layout is { } l ? new ReportLibthrLayout(l.TidOffset, l.NextOffset, l.TcbOffset, l.StateOffset, l.Source) : null,
                analysis.Identity.Notes),
            Stacks = ReportStackGroup.Group(threads),
            Incomplete = analysis.Incomplete,
            Graph = ReportGraph.Build(analysis),
            Crash = ReportCrash.Build(analysis.Crash),
        };
    }

    internal static string StrategyName(PthreadStrategy s) => s switch
    {
        PthreadStrategy.DebuggerSymbols => "debugger-symbols", PthreadStrategy.SegmentBases => "segment-bases",
        PthreadStrategy.GlibcThreadDb => "glibc-thread-db", PthreadStrategy.GlibcSignature => "glibc-signature", _ => "signature-scan",
    };
}

public sealed record ReportIdentity(IReadOnlyList<string> Strategies, ReportLibthrLayout? Layout, IReadOnlyList<string> Notes);

public sealed record ReportLibthrLayout(int TidOffset, int? NextOffset, int TcbOffset, int? StateOffset, string Source);

public sealed record ReportThread(
    int Index, int Lwp, string? Name, Hex? Pthread, string? Wait, string? State,
    IReadOnlyDictionary<string, Hex> Registers, ReportSyscall? Syscall, IReadOnlyList<ReportFrame> Frames) : IThreadStack
{
    /// <summary>What the wait message means, from the catalogue (spec §8).</summary>
    public string? WaitMeaning { get; init; }

    public string? PthreadStrategy { get; init; }

    /// <summary>idle-by-design, running, waiting-for-lock, waiting-for-io, waiting-for-peer, sleeping or unknown.</summary>
    public string? Category { get; init; }

    /// <summary>What the thread is doing, in plain words.</summary>
    public string? Activity { get; init; }

    /// <summary>What kind of thread it is, from the catalogue of MySQL functions ("client connection thread"); null when unknown.</summary>
    public string? Role { get; init; }

    /// <summary>ki_slptime: seconds asleep; null without kinfo_proc or when the thread is not asleep.</summary>
    public long? SleepSeconds { get; init; }

    /// <summary>"sleep" when <see cref="SleepSeconds"/> counts from the start of the sleep; "stop" when it counts from gcore's stop (the sleep is at least that long); null with it.</summary>
    public string? SleepCountsFrom { get; init; }

    /// <summary>What the thread waits for and who holds it.</summary>
    public IReadOnlyList<ReportWaitEdge> WaitsFor { get; init; } = [];

    /// <summary>Why the backtrace ends where it does (e.g. "return address at 0x… is not in the core").</summary>
    public string? UnwindStop { get; init; }
    public ReportMySql? Mysql { get; init; }

    internal static ReportThread Build(ThreadAnalysis t)
    {
        var th = t.Thread;
        return new ReportThread(th.Index, th.Lwp, th.Name, t.Pthread is { } p ? new Hex(p) : null, th.WaitMessage ?? t.WaitChannel,
            th.FreeBsd?.Kinfo is null ? null : t.State.Text, new GeneralRegisterView(th.Registers), ReportSyscall.Build(t), ReportFrame.BuildAll(t))
        {
            UnwindStop = t.UnwindStop,
            WaitMeaning = t.Wait?.Meaning ?? (t.WaitChannel is { } wchan ? Analysis.Diagnosis.WaitChannels.Meaning(wchan) : null),
            Mysql = ReportMySql.Build(t.Session, t.Join),
            Category = t.Description is { } d ? ReportGraph.CategoryName(d.Category) : null,
            Activity = t.Description?.Sentence,
            Role = t.Description?.Role,
            SleepSeconds = t.Sleep?.Seconds,
            SleepCountsFrom = t.Sleep is { } sleep ? sleep.SinceStop ? "stop" : "sleep" : null,
            WaitsFor = t.WaitsFor.Count == 0 ? [] : [.. t.WaitsFor.Select(ReportWaitEdge.Build)],
        };
    }
}

/// <param name="Lwp">The holder's LWP; null when the core and the inputs do not say who holds it.</param>
public sealed record ReportWaitEdge(int? Lwp, string Kind, string Resource, string Confidence, double? Seconds, IReadOnlyList<string> Evidence)
{
    internal static ReportWaitEdge Build(Analysis.WaitGraph.WaitEdge e) =>
        new(e.Holder, e.Kind, e.Resource, ReportFinding.ConfidenceName(e.Confidence), e.Seconds, e.Evidence);
}

/// <summary>The wait-for graph: the threads an edge joins (nodes) and the edges between them.</summary>
public sealed record ReportGraph(IReadOnlyList<ReportGraphNode> Nodes, IReadOnlyList<ReportGraphEdge> Edges)
{
    internal static ReportGraph Build(CoreAnalysis analysis)
    {
        var nodes = analysis.Graph.Nodes.Select(lwp => analysis.ThreadOf(lwp) is { } t
            ? new ReportGraphNode(lwp, t.Thread.Name, t.Description is { } d ? CategoryName(d.Category) : null, t.Description?.Sentence, t.Session?.ThreadId)
            : new ReportGraphNode(lwp, null, null, null, null)).ToList();
        var edges = analysis.Graph.Edges.Where(e => e.Holder is not null)
            .Select(e => new ReportGraphEdge(e.Waiter, e.Holder!.Value, e.Kind, e.Resource, ReportFinding.ConfidenceName(e.Confidence), e.Seconds)).ToList();
        return new ReportGraph(nodes, edges);
    }

    internal static string CategoryName(Analysis.Activity.ThreadCategory c) => c switch
    {
        Analysis.Activity.ThreadCategory.IdleByDesign => "idle-by-design",
        Analysis.Activity.ThreadCategory.Running => "running",
        Analysis.Activity.ThreadCategory.WaitingForLock => "waiting-for-lock",
        Analysis.Activity.ThreadCategory.WaitingForIo => "waiting-for-io",
        Analysis.Activity.ThreadCategory.WaitingForPeer => "waiting-for-peer",
        Analysis.Activity.ThreadCategory.Sleeping => "sleeping",
        _ => "unknown",
    };
}

public sealed record ReportGraphNode(int Lwp, string? Name, string? Category, string? Activity, long? MysqlThreadId);

/// <summary>"<see cref="From"/> waits for <see cref="To"/>".</summary>
public sealed record ReportGraphEdge(int From, int To, string Kind, string Resource, string Confidence, double? Seconds);

/// <param name="Number">The call's number; null when the call returned an error and the code that names it is not available.</param>
/// <param name="Name">The call's name; null when <paramref name="Number"/> is.</param>
public sealed record ReportSyscall(long? Number, string? Name, string State, IReadOnlyList<Hex> Arguments, string? Path, string? Flags)
{
    /// <summary>The call as C, e.g. <c>openat(AT_FDCWD, "/tmp/ghost.fifo", O_RDONLY|O_CLOEXEC, 0)</c>.</summary>
    public string? Call { get; init; }

    /// <summary>The errno of a call that returned with an error (CF set), else null.</summary>
    public long? Errno { get; init; }

    /// <summary>How the text reports name the call: as C, else by name, else by the error it returned.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Display => Call ?? Name ?? $"returned {FreeBsd.Syscalls.Errno.Name(Errno ?? 0)}; give --sysroot to know which call";
    public IReadOnlyList<string> Evidence { get; init; } = [];

    internal static ReportSyscall? Build(ThreadAnalysis t)
    {
        if (t.Site is not { } site) return null;
        var d = t.Syscall;
        string state = site.Position switch
        {
            Analysis.Syscalls.SyscallPosition.InKernel => "in-kernel",
            Analysis.Syscalls.SyscallPosition.Restarting => "restarting",
            Analysis.Syscalls.SyscallPosition.ReturnedError => "returned-error",
            _ => "unknown",
        };
        string? path = d?.ArgumentOf(SyscallArgKind.Path)?.String is CString.Ok ok ? ok.Text : null;
        string? flags = d?.ArgumentOf(SyscallArgKind.OpenFlags)?.Text;
        long? number = site.Number < 0 ? null : site.Number;
        var registers = site.Arguments;
        var arguments = new Hex[registers.Count];
        for (int i = 0; i < arguments.Length; i++) arguments[i] = registers[i];
        return new ReportSyscall(number, d?.Name ?? (number is { } n ? $"#{n}" : null), state, arguments, path, flags)
        {
            Call = d?.FormatCall(),
            Evidence = site.Evidence,
            Errno = site.Errno,
        };
    }
}

/// <summary>
/// A backtrace frame as reports show it. A frame of an analysis is read from its
/// <see cref="NamedFrame"/> when shown, not copied: a copy was about 130 bytes for each of ten
/// thousand threads' hundred thousand frames, and an object per frame 40 more.
/// </summary>
public readonly struct ReportFrame
{
    private readonly NamedFrame? named;
    private readonly IReadOnlyList<Analysis.MySql.FrameArgument>? arguments;
    private readonly Detached? detached;

    /// <summary>What a frame made from values rather than from an analysis holds.</summary>
    private sealed class Detached(Hex pc, string? module, string? symbol, Hex? offset, string trust)
    {
        public Hex Pc = pc;
        public string? Module = module, Symbol = symbol, MangledSymbol, Note;
        public Hex? Offset = offset, Sp, ModuleOffset;
        public string Trust = trust;
        public IReadOnlyList<Analysis.MySql.FrameArgument> Arguments = [];
    }

    /// <param name="Offset">The pc's distance from the start of <paramref name="Symbol"/>: an offset in the address space, so hex like <see cref="ModuleOffset"/>.</param>
    public ReportFrame(Hex Pc, string? Module, string? Symbol, Hex? Offset, string Trust) =>
        detached = new Detached(Pc, Module, Symbol, Offset, Trust);

    private ReportFrame(NamedFrame frame, IReadOnlyList<Analysis.MySql.FrameArgument>? arguments) =>
        (named, this.arguments) = (frame, arguments);

    // default(ReportFrame) reads as a frame at pc 0 that says nothing else.
    private Detached Values => detached ?? Nothing;
    private static readonly Detached Nothing = new(0, null, null, null, "");

    private Detached Own => detached ?? throw new InvalidOperationException("only a frame made from values is given values");

    public Hex Pc => named is { } f ? new Hex(f.Frame.Pc) : Values.Pc;

    public string? Module => named is { } f ? f.Symbol.Module?.FileName : Values.Module;

    public string? Symbol => named is { } f ? f.Symbol.DisplayName : Values.Symbol;

    public Hex? Offset => named is { } f ? (f.Symbol.Symbol is null ? null : new Hex(f.Symbol.Offset)) : Values.Offset;

    // A frame restored from a signal frame's saved context is as trustworthy as the thread's own context.
    public string Trust => named is { } f ? (f.Frame.Trust == FrameTrust.SignalContext ? "context" : f.Frame.TrustLabel) : Values.Trust;

    /// <summary>The stack pointer in this frame.</summary>
    public Hex? Sp
    {
        get => named is { } f ? new Hex(f.Frame.Sp) : Values.Sp;
        init => Own.Sp = value;
    }

    /// <summary>
    /// The pc's offset from the start of its module's first mapping (gdb's and rust-minidump's
    /// <c>module+0xoffset</c>), so a frame can be symbolized later with the module's file; null
    /// when the pc is in no module.
    /// </summary>
    public Hex? ModuleOffset
    {
        get => named is { } f ? (f.Symbol.Module is { } m ? new Hex(f.Frame.Pc - m.Start) : null) : Values.ModuleOffset;
        init => Own.ModuleOffset = value;
    }

    /// <summary>How a frame without a symbol is named: <c>mysqld+0x48ee7d</c>, or null.</summary>
    internal string? ModulePlusOffset => Module is not { } module || ModuleOffset is not { } o ? null : $"{module}+{o}";

    /// <summary>The mangled name when <see cref="Symbol"/> is demangled.</summary>
    public string? MangledSymbol
    {
        get => named is { } f ? (f.Symbol.Demangled is null ? null : f.Symbol.Symbol) : Values.MangledSymbol;
        init => Own.MangledSymbol = value;
    }

    /// <summary>Callee-saved registers the unwind recovered in this frame: name → value, the shape of a thread's registers.</summary>
    public IReadOnlyDictionary<string, Hex> Registers =>
        Recovered.Count == 0 ? ReadOnlyDictionary<string, Hex>.Empty : new RecoveredRegisterView<Hex>(Recovered, static (value, _) => new Hex(value));

    /// <summary>Where each of <see cref="Registers"/> came from ("context", "saved at 0x… (CFA-16)"), by the same names.</summary>
    public IReadOnlyDictionary<string, string> RegisterSources =>
        Recovered.Count == 0 ? ReadOnlyDictionary<string, string>.Empty : new RecoveredRegisterView<string>(Recovered, static (_, origin) => origin.ToString());

    /// <summary>The frame's own recovered registers, which <see cref="Registers"/> and <see cref="RegisterSources"/> show when read.</summary>
    internal RecoveredRegisters Recovered => named?.Frame.Registers ?? RecoveredRegisters.Empty;

    public string? Note
    {
        get => named is { } f ? f.Frame.Note : Values.Note;
        init => Own.Note = value;
    }

    /// <summary>Arguments reconstructed for known functions (my_open), each with where its value came from.</summary>
    public IReadOnlyList<Analysis.MySql.FrameArgument> Arguments
    {
        get => named is null ? Values.Arguments : arguments ?? [];
        init => Own.Arguments = value;
    }

    /// <summary>
    /// Everything this frame's line of text depends on, when it is read from an analysis and has no
    /// arguments: its pc, trust and name (one name per pc, shared by every thread whose stack holds
    /// it). Null otherwise.
    /// </summary>
    internal (ulong Pc, FrameTrust Trust, Analysis.Symbols.SymbolizedAddress Name)? LineIdentity =>
        named is { } f && (arguments is null || arguments.Count == 0) ? (f.Frame.Pc, f.Frame.Trust, f.Symbol) : null;

    /// <summary>A thread's frames, read from its analysis when shown; a thread whose stack was not walked shows its context's pc.</summary>
    internal static IReadOnlyList<ReportFrame> BuildAll(ThreadAnalysis t) =>
        t.Frames.Count == 0 ? [new ReportFrame(t.Thread.Registers.Rip, null, null, null, "context")] : new Walked(t);

    /// <summary>The frames of a walked stack, made one at a time as a report reads them: no array of them per thread.</summary>
    private sealed class Walked(ThreadAnalysis thread) : IReadOnlyList<ReportFrame>
    {
        public ReportFrame this[int index] => new(thread.Frames[index], thread.FrameArguments.GetValueOrDefault(index));

        public int Count => thread.Frames.Count;

        public IEnumerator<ReportFrame> GetEnumerator()
        {
            for (int i = 0; i < Count; i++) yield return this[i];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>
/// A frame's recovered registers by name, read from the frame's own: no copy per frame (a report
/// of a thousand threads has tens of thousands of frames). Lookups search the six entries.
/// </summary>
internal sealed class RecoveredRegisterView<T>(RecoveredRegisters registers, Func<ulong, RegisterOrigin, T> select) : IReadOnlyDictionary<string, T>
{
    public T this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"no register named '{key}'");

    public IEnumerable<string> Keys => this.Select(e => e.Key);

    public IEnumerable<T> Values => this.Select(e => e.Value);

    public int Count => registers.Count;

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    public bool TryGetValue(string key, out T value)
    {
        foreach (var (name, v) in this)
            if (name == key) { value = v; return true; }
        value = default!;
        return false;
    }

    public IEnumerator<KeyValuePair<string, T>> GetEnumerator()
    {
        for (int i = 0; i < registers.Count; i++)
        {
            var (register, value, origin) = registers.Entry(i);
            yield return new(DwarfRegisters.Name(register), select(value, origin));
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// A thread's general registers by name, read from its trapframe in gdb's order: a dictionary built
/// per thread was about 0.8 MiB of a thousand threads' report, and their list 0.4 MiB. Lookups
/// search the two dozen names.
/// </summary>
internal sealed class GeneralRegisterView(Registers registers, int[] indexes) : IReadOnlyDictionary<string, Hex>
{
    /// <summary>Every general register, in gdb's order.</summary>
    public GeneralRegisterView(Registers registers) : this(registers, All) { }

    private static readonly int[] All = [.. Enumerable.Range(0, Registers.GeneralNames.Count)];

    /// <summary>rip and rsp, the registers of the thread list.</summary>
    public static GeneralRegisterView PcAndSp(Registers registers) => new(registers, PcSp);

    private static readonly int[] PcSp = [IndexOf("rip"), IndexOf("rsp")];

    private static int IndexOf(string name) => Registers.GeneralNames.Select((n, i) => (n, i)).First(r => r.n == name).i;

    private static string Name(int index) => Registers.GeneralNames[index];

    public Hex this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"no register named '{key}'");

    public IEnumerable<string> Keys => indexes.Select(Name);

    public IEnumerable<Hex> Values => indexes.Select(i => new Hex(registers.GeneralValue(i)));

    public int Count => indexes.Length;

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    // Over the array itself: a lookup per cell of ten thousand thread rows, without an enumerator each.
    public bool TryGetValue(string key, out Hex value)
    {
        foreach (int i in indexes)
            if (Name(i) == key) { value = registers.GeneralValue(i); return true; }
        value = default;
        return false;
    }

    public IEnumerator<KeyValuePair<string, Hex>> GetEnumerator()
    {
        foreach (int i in indexes) yield return new(Name(i), registers.GeneralValue(i));
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A thread's LWP and frames: what <see cref="ReportStackGroup"/> groups, in either report.</summary>
public interface IThreadStack
{
    int Lwp { get; }
    IReadOnlyList<ReportFrame> Frames { get; }
}

/// <summary>Threads whose backtraces name the same functions, frame by frame.</summary>
public sealed record ReportStackGroup(int Count, IReadOnlyList<int> Lwps, IReadOnlyList<string> Frames)
{
    internal static IReadOnlyList<ReportStackGroup> Group(IEnumerable<IThreadStack> threads)
    {
        // Keyed by the list of names itself: no string joined per thread, one "module+0x…" per pc.
        var unknownIn = new Dictionary<ulong, string>();
        var groups = new Dictionary<string[], (List<int> Lwps, int First)>(NamesComparer.Instance);
        // Threads whose frames are the very same named frames (a name per pc, shared by every
        // thread) name the same functions: their group is found by those, compared by reference,
        // and the names looked up and compared once per such stack, not per thread.
        var byFrames = new Dictionary<FrameKey[], List<int>>(FramesComparer.Instance);
        var sameFrames = byFrames.GetAlternateLookup<ReadOnlySpan<FrameKey>>();
        var keys = new FrameKey[16];
        foreach (var t in threads)
        {
            int count = t.Frames.Count;
            if (keys.Length < count) keys = new FrameKey[count];
            bool keyed = true;
            for (int i = 0; i < count && keyed; i++)
                if (t.Frames[i].LineIdentity is { } id) keys[i] = new FrameKey(id.Name, id.Pc);
                else keyed = false;
            if (keyed && sameFrames.TryGetValue(keys.AsSpan(0, count), out var lwps))
            {
                lwps.Add(t.Lwp);
                continue;
            }
            var names = new string[count];
            for (int i = 0; i < names.Length; i++) names[i] = Name(t.Frames[i], unknownIn);
            if (groups.TryGetValue(names, out var g)) g.Lwps.Add(t.Lwp);
            else groups[names] = g = ([t.Lwp], groups.Count);
            if (keyed) sameFrames[keys.AsSpan(0, count)] = g.Lwps;
        }
        return groups.OrderByDescending(g => g.Value.Lwps.Count).ThenBy(g => g.Value.Lwps[0]).ThenBy(g => g.Value.First)
            .Select(g => new ReportStackGroup(g.Value.Lwps.Count, g.Value.Lwps, g.Key)).ToList();
    }

    /// <summary>A walked frame by what its name depends on: its name object (by reference) and pc.</summary>
    private readonly record struct FrameKey(object Name, ulong Pc);

    private sealed class FramesComparer : IEqualityComparer<FrameKey[]>, IAlternateEqualityComparer<ReadOnlySpan<FrameKey>, FrameKey[]>
    {
        public static readonly FramesComparer Instance = new();

        public bool Equals(FrameKey[]? x, FrameKey[]? y) => Equals(x.AsSpan(), y!);

        public int GetHashCode(FrameKey[] frames) => GetHashCode(frames.AsSpan());

        public bool Equals(ReadOnlySpan<FrameKey> x, FrameKey[] y)
        {
            if (x.Length != y.Length) return false;
            for (int i = 0; i < x.Length; i++)
                if (x[i].Pc != y[i].Pc || !ReferenceEquals(x[i].Name, y[i].Name)) return false;
            return true;
        }

        public int GetHashCode(ReadOnlySpan<FrameKey> frames)
        {
            var hash = new HashCode();
            foreach (var f in frames)
            {
                hash.Add(f.Pc);
                hash.Add(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(f.Name));
            }
            return hash.ToHashCode();
        }

        public FrameKey[] Create(ReadOnlySpan<FrameKey> frames) => frames.ToArray();
    }

    /// <summary>A frame's function, or its module+offset, or its pc: what makes two stacks "the same".</summary>
    private static string Name(ReportFrame f, Dictionary<ulong, string> unknown)
    {
        if (f.Symbol is not null) return f.Symbol;
        if (!unknown.TryGetValue(f.Pc.Value, out var name)) unknown[f.Pc.Value] = name = f.ModulePlusOffset ?? f.Pc.ToString();
        return name;
    }

    private sealed class NamesComparer : IEqualityComparer<string[]>
    {
        public static readonly NamesComparer Instance = new();

        public bool Equals(string[]? x, string[]? y) => x.AsSpan().SequenceEqual(y, StringComparer.Ordinal);

        public int GetHashCode(string[] names)
        {
            var hash = new HashCode();
            foreach (string n in names) hash.Add(n, StringComparer.Ordinal);
            return hash.ToHashCode();
        }
    }
}

public sealed record ReportMySql(long ThreadId, long? QueryId, string? Query)
{
    public string? Command { get; init; }
    public long? Time { get; init; }
    public string? State { get; init; }
    public string? User { get; init; }
    public string? Host { get; init; }

    /// <summary>The OS thread handle InnoDB status gave for the session; null when no input gave one.</summary>
    public Hex? OsThreadHandle { get; init; }

    /// <summary>How the session was joined to the thread: "os-thread-handle" (InnoDB status) or "statement-path" (processlist).</summary>
    public string? JoinedBy { get; init; }

    internal static ReportMySql? Build(Analysis.MySql.MySqlSession? s, SessionJoin? join) => s is null ? null :
        new ReportMySql(s.ThreadId, s.QueryId, s.Query)
        {
            Command = s.Command, Time = s.TimeSeconds, State = s.State, User = s.User, Host = s.Host,
            OsThreadHandle = s.OsThreadHandle is { } h ? new Hex(h) : null,
            JoinedBy = join?.Kind switch { SessionJoinKind.OsThreadHandle => "os-thread-handle", SessionJoinKind.StatementPath => "statement-path", _ => null },
        };
}

/// <summary>
/// A finding of the diagnosis. Every kind has <see cref="Kind"/>, <see cref="Lwp"/> (the thread it
/// is about: the blocked one, the root, the first of a cycle), <see cref="Confidence"/> and
/// <see cref="Evidence"/>; the other members belong to some kinds and are null or empty otherwise.
/// </summary>
public sealed record ReportFinding(
    string Kind, int Lwp, Hex? Pthread, string? Path, string? Direction, string Confidence, ReportMySql? Mysql, IReadOnlyList<string> Evidence)
{
    public string? ThreadName { get; init; }
    public string? Flags { get; init; }
    public bool PathInOpenFiles { get; init; }
    public IReadOnlyList<ReportMemoryText> StatementsInMemory { get; init; } = [];
    public IReadOnlyList<string> Advice { get; init; } = [];

    /// <summary>The finding in one sentence.</summary>
    public string? Summary { get; init; }

    /// <summary>blocked-behind, blocked-fifo-open, deadlock: every thread that waits behind it, directly or through others, nearest first.</summary>
    public IReadOnlyList<int> Waiters { get; init; } = [];

    /// <summary>deadlock: the threads in the order they wait for one another.</summary>
    public IReadOnlyList<int> Cycle { get; init; } = [];

    /// <summary>How long the thread has been stuck, from the best source (<see cref="DurationSource"/>); null when nothing says.</summary>
    public double? DurationSeconds { get; init; }

    /// <summary>Where <see cref="DurationSeconds"/> comes from: "processlist", "innodb-transaction", "innodb-semaphore", "sleep-time".</summary>
    public string? DurationSource { get; init; }

    /// <summary>The thread's ki_slptime, as in its thread entry.</summary>
    public long? SleepSeconds { get; init; }

    /// <summary>The findings in the order the diagnosis gives them: deadlocks, then roots by how many threads wait behind them, then the blocked opens.</summary>
    internal static List<ReportFinding> BuildAll(CoreAnalysis analysis)
    {
        var Of = analysis.ThreadOf;
        var findings = new List<ReportFinding>();
        foreach (var d in analysis.Deadlocks)
        {
            var first = Of(d.Cycle[0]);
            findings.Add(new ReportFinding(Analysis.WaitGraph.Deadlock.Kind, d.Cycle[0], first?.Pthread is { } p ? new Hex(p) : null, null, null,
                ConfidenceName(d.Confidence), null, d.Evidence)
            {
                ThreadName = first?.Thread.Name,
                Cycle = d.Cycle,
                Waiters = d.WaitersBehind,
                Advice = d.Advice,
                Summary = $"deadlock: LWP {string.Join(" → LWP ", d.Cycle.Append(d.Cycle[0]))} wait for one another ({string.Join(", ", d.Edges.Select(e => e.Resource).Distinct())})" +
                          (d.WaitersBehind.Count == 0 ? "" : $"; {Plural.Of(d.WaitersBehind.Count, "more thread")} {(d.WaitersBehind.Count == 1 ? "waits" : "wait")} behind them"),
            });
        }
        foreach (var r in analysis.Roots)
        {
            var t = Of(r.Root);
            var (duration, source) = Duration(t);
            findings.Add(new ReportFinding(Analysis.WaitGraph.BlockedBehind.Kind, r.Root, t?.Pthread is { } p ? new Hex(p) : null, null, null,
                ConfidenceName(r.Confidence), ReportMySql.Build(t?.Session, t?.Join), r.Evidence)
            {
                ThreadName = t?.Thread.Name,
                Waiters = r.Waiters,
                Advice = r.Advice,
                DurationSeconds = duration, DurationSource = source,
                SleepSeconds = t?.Sleep?.Seconds,
                Summary = $"{Plural.Of(r.Waiters.Count, "thread")} {(r.Waiters.Count == 1 ? "waits" : "wait")} behind LWP {r.Root}{(t?.Session is { } s ? $" (MySQL thread id {s.ThreadId})" : "")}, which is {r.RootActivity}" +
                          (duration is { } sec ? $", for {Analysis.WaitGraph.Durations.Text(sec)}" : ""),
            });
        }
        foreach (var w in analysis.SemaphoreWaits)
        {
            int lwp = w.Holder ?? w.Waiters.FirstOrDefault();
            var t = Of(lwp);
            findings.Add(new ReportFinding(Analysis.WaitGraph.LongSemaphoreWait.Kind, lwp, t?.Pthread is { } p ? new Hex(p) : null, null, null,
                ConfidenceName(w.Confidence), ReportMySql.Build(t?.Session, t?.Join), w.Evidence)
            {
                ThreadName = t?.Thread.Name,
                Waiters = w.Waiters,
                Advice = w.Advice,
                DurationSeconds = w.LongestSeconds, DurationSource = "innodb-semaphore",
                SleepSeconds = t?.Sleep?.Seconds,
                Summary = $"long InnoDB semaphore wait: {Plural.Of(w.Waiters.Count, "thread")} {(w.Waiters.Count == 1 ? "waits" : "wait")} for {w.Resource}, the longest for {Analysis.WaitGraph.Durations.Text(w.LongestSeconds)}" +
                          (w.Holder is { } h ? $"; LWP {h}{(t?.Session is { } s ? $" (MySQL thread id {s.ThreadId})" : "")} holds it" : w.HolderHandle is { } hh ? $"; its holder {hh} is no thread of the core" : "; InnoDB does not name the holder"),
            });
        }
        foreach (var f in analysis.Findings)
        {
            var t = Of(f.Lwp);
            var (duration, source) = Duration(t);
            findings.Add(Build(f) with
            {
                Waiters = analysis.Graph.WaitersBehind(f.Lwp),
                DurationSeconds = duration, DurationSource = source,
                SleepSeconds = t?.Sleep?.Seconds,
            });
        }
        return findings;
    }

    /// <summary>
    /// How long a thread has been stuck: the processlist's Time, else the transaction's age, else
    /// its own sleep time when that counts from the start of the sleep (not gcore's stop).
    /// </summary>
    private static (double?, string?) Duration(ThreadAnalysis? t)
    {
        if (t?.Session?.TimeSeconds is { } time) return (time, "processlist");
        if (t?.Session?.TrxActiveSeconds is { } active) return (active, "innodb-transaction");
        if (t?.Sleep is { SinceStop: false } sleep) return (sleep.Seconds, "sleep-time");
        return (null, null);
    }

    internal static string ConfidenceName(Analysis.Diagnosis.Confidence c) => c == Analysis.Diagnosis.Confidence.Certain ? "certain" : "likely";

    internal static ReportFinding Build(BlockedFifoOpen f) =>
        new(BlockedFifoOpen.Kind, f.Lwp, f.Pthread is { } p ? new Hex(p) : null, f.Path,
            f.Direction == OpenDirection.Write ? "write" : "read",
            ConfidenceName(f.Confidence),
            ReportMySql.Build(f.Session, f.Join),
            f.Evidence)
        {
            ThreadName = f.ThreadName,
            Flags = f.FlagsText,
            PathInOpenFiles = f.PathInOpenFiles,
            StatementsInMemory = f.StatementsInMemory.Select(h => new ReportMemoryText(h.StringStart, h.Text, h.Truncated)).ToList(),
            Advice = f.Advice,
            Summary = $"LWP {f.Lwp} is blocked opening {(f.Path is null ? "a FIFO (path unavailable)" : $"\"{f.Path}\"")} for {(f.Direction == OpenDirection.Write ? "writing: it waits for a reader" : "reading: it waits for a writer")}",
        };
}

public sealed record ReportMemoryText(Hex Address, string Text, bool Truncated);

public sealed record ReportHandle(Hex Handle, string Status, int? Lwp, string Source, long? MysqlThreadId, string? Reason)
{
    public int? ThreadIndex { get; init; }
    public string? ThreadName { get; init; }

    internal static ReportHandle Build(ResolvedHandle h) =>
        new(h.Resolution.Handle,
            h.Resolution.Status switch { HandleStatus.Live => "live", HandleStatus.Terminated => "terminated", _ => "invalid" },
            h.Resolution.Lwp,
            h.Source switch { HandleSource.Argument => "argument", HandleSource.InnodbStatus => "innodb-status", _ => "processlist" },
            h.Session?.ThreadId, h.Resolution.Reason)
        {
            ThreadIndex = h.Resolution.Thread?.Index,
            ThreadName = h.Resolution.Thread?.Name,
        };
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(AnalysisReport))]
[JsonSerializable(typeof(HandlesReport))]
[JsonSerializable(typeof(BacktraceReport))]
internal sealed partial class AnalysisJsonContext : JsonSerializerContext;

/// <summary>
/// Writes an <see cref="AnalysisReport"/> as JSON (valid UTF-8; strings from the core are escaped by
/// the serializer), with the escaping of every other command's JSON (<see cref="TerminalSafeJsonEncoder"/>).
/// </summary>
public static class AnalysisJson
{
    internal static readonly AnalysisJsonContext Context = new(new System.Text.Json.JsonSerializerOptions(AnalysisJsonContext.Default.Options)
    {
        Encoder = TerminalSafeJsonEncoder.Instance,
    });

    public static void Write(AnalysisReport report, TextWriter w) =>
        JsonText.Write(report, Context.AnalysisReport, w);

    public static AnalysisReport? Read(string json) =>
        System.Text.Json.JsonSerializer.Deserialize(json, Context.AnalysisReport);
}

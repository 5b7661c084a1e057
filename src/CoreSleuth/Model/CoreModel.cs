using CoreSleuth.FreeBsd;

namespace CoreSleuth.Model;

/// <summary>
/// A thread of the dumped process, either system's: its id, registers and current signal (from its
/// NT_PRSTATUS), name and FPU state; what only one system's notes say of it hangs under that system
/// (<see cref="FreeBsd"/> for FreeBSD, <see cref="Linux"/> for Linux).
/// </summary>
public sealed record CoreThread
{
    /// <summary>Position in note order, from 1 as debuggers number threads.</summary>
    public required int Index { get; init; }

    /// <summary>Kernel thread id (LWP): pr_pid of the thread's NT_PRSTATUS.</summary>
    public required int Lwp { get; init; }

    /// <summary>The general registers when the thread stopped (NT_PRSTATUS's <c>struct reg</c> / <c>user_regs_struct</c>).</summary>
    public required Registers Registers { get; init; }

    /// <summary>pr_cursig: the signal the thread was taking when the kernel dumped the process; 0 otherwise.</summary>
    public int CurrentSignal { get; init; }

    /// <summary>Thread name: NT_THRMISC, else kinfo_proc's ki_tdname + ki_moretdname, else NT_PTLWPINFO's pl_tdname.</summary>
    public string? Name { get; init; }

    /// <summary>Which note the name came from.</summary>
    public string? NameSource { get; init; }

    /// <summary>
    /// The x87/SSE state: NT_FPREGSET, the FXSAVE image, else the same 512 bytes at the start of
    /// NT_X86_XSTATE (spec §3.8), with the ymm upper halves when the XSAVE area has them.
    /// </summary>
    public FpState? FpState => fpState ??= ParseFpState();

    /// <summary>NT_X86_XSTATE, the thread's XSAVE area; null when the thread has none.</summary>
    public XState? XState => xstate ??= XSaveArea is { } x ? XState.Parse(x.Span) : null;

    // Parsed when first read: few reports show floating-point state, and a thousand threads'
    // xmm/ymm registers are tens of thousands of small arrays.
    private FpState? fpState;
    private XState? xstate;

    /// <summary>The descriptor of the thread's NT_FPREGSET (at least 512 bytes), when it has one.</summary>
    internal ReadOnlyMemory<byte>? FpRegSet { get; init; }

    /// <summary>The descriptor of the thread's NT_X86_XSTATE, when it has one.</summary>
    internal ReadOnlyMemory<byte>? XSaveArea { get; init; }

    private FpState? ParseFpState()
    {
        ReadOnlyMemory<byte> fxsave;
        if (FpRegSet is { } fpregs) fxsave = fpregs;
        else if (XSaveArea is { Length: >= FpState.Size } xsave) fxsave = xsave[..FpState.Size];
        else return null;
        var fp = FpState.Parse(fxsave.Span);
        return XState?.YmmHigh is { } ymm ? fp with { YmmHigh = ymm } : fp;
    }

    public SegmentBases? SegmentBases { get; init; }

    /// <summary>What only a FreeBSD core says of the thread (NT_PRSTATUS as written, NT_THRMISC, NT_PTLWPINFO, kinfo_proc); null for Linux.</summary>
    public FreeBsdThreadState? FreeBsd { get; init; }

    /// <summary>What only a Linux core says of the thread (orig_rax, fs_base, siginfo); null for FreeBSD.</summary>
    public Linux.LinuxThreadState? Linux { get; init; }

    /// <summary>ki_wmesg, or null when the thread is not sleeping or the core has no kinfo_proc (gdb cores).</summary>
    public string? WaitMessage => FreeBsd?.Kinfo is { WaitMessage.Length: > 0 } k ? k.WaitMessage : null;
}

/// <summary>The dumped process as a whole: identity, files, mappings, limits, auxv and its threads.</summary>
public sealed record CoreProcess
{
    /// <summary>The system the process ran on: which notes, system calls and thread library apply.</summary>
    public CoreOs Os { get; init; } = CoreOs.FreeBsd;

    /// <summary>What only a FreeBSD core says of the process (NT_PRPSINFO as written, kinfo_proc, __FreeBSD_version…); null for Linux.</summary>
    public FreeBsdProcessState? FreeBsd { get; init; }

    /// <summary>What only a Linux core says of the process (NT_PRPSINFO, NT_FILE, NT_SIGINFO); null for FreeBSD.</summary>
    public Linux.LinuxProcessState? Linux { get; init; }

    /// <summary>Process id: pr_pid of NT_PRPSINFO, or ki_pid when pr_pid is 0 (spec §3.4; corpus bsi-08c8232b).</summary>
    public int? Pid { get; init; }

    /// <summary>Where <see cref="Pid"/> came from: "NT_PRPSINFO" or "kinfo_proc".</summary>
    public string? PidSource { get; init; }
    public int? ParentPid { get; init; }
    public uint? Uid { get; init; }
    public uint? RealUid { get; init; }
    public uint? RealGid { get; init; }

    /// <summary>Command name (pr_fname / ki_comm), at most 19 characters.</summary>
    public string? Command { get; init; }

    /// <summary>The command line: argv from ps_strings in memory when the core has it, else pr_psargs (80 characters at most).</summary>
    public string? Arguments { get; init; }
    public IReadOnlyList<string>? ArgumentVector { get; init; }
    public string? ArgumentsSource { get; init; }

    /// <summary>
    /// pr_psargs of NT_PRPSINFO as written (spec §3.4): at most 80 characters, and only the command
    /// name from older kernels — what gdb shows as "Core was generated by".
    /// </summary>
    public string? PsArgs { get; init; }

    public DateTimeOffset? StartTime { get; init; }
    public string? WorkingDirectory { get; init; }
    public string? Executable { get; init; }

    /// <summary>pr_cursig: the signal that caused the dump (kernel cores); 0 otherwise.</summary>
    public int Signal { get; init; }

    /// <summary>The open descriptors, where the core lists them (FreeBSD's NT_PROCSTAT_FILES); empty otherwise.</summary>
    public IReadOnlyList<OpenFile> OpenFiles { get; init; } = [];

    /// <summary>The mappings the notes list, in address order: every one on FreeBSD, only the file-backed ones on Linux (see <see cref="MappingsAreFilesOnly"/>).</summary>
    public IReadOnlyList<Mapping> Mappings { get; init; } = [];

    /// <summary>
    /// Whether <see cref="Mappings"/> lists only the file-backed mappings (Linux's NT_FILE), so the
    /// anonymous memory is every writable PT_LOAD none of them covers; false when it lists them all.
    /// </summary>
    public bool MappingsAreFilesOnly { get; init; }

    public IReadOnlyList<uint> Groups { get; init; } = [];
    public ushort? Umask { get; init; }
    public IReadOnlyList<ResourceLimit> ResourceLimits { get; init; } = [];

    /// <summary>The auxiliary vector through AT_NULL; its types are named by the system's <see cref="IAuxvCatalogue"/>.</summary>
    public IReadOnlyList<AuxvEntry> Auxv { get; init; } = [];

    /// <summary>Which process-wide notes were present, by type name, in note order.</summary>
    public IReadOnlyList<string> NotesPresent { get; init; } = [];
}

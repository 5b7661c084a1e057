namespace CoreSleuth.FreeBsd;

/// <summary>A thread of the dumped process: its NT_PRSTATUS and the per-thread notes that followed it (spec §2.3).</summary>
public sealed record CoreThread
{
    /// <summary>Position in note order, from 1 as debuggers number threads.</summary>
    public required int Index { get; init; }

    /// <summary>Kernel thread id (LWP): pr_pid of the thread's NT_PRSTATUS.</summary>
    public required int Lwp { get; init; }

    public required PrStatus Status { get; init; }
    public Registers Registers => Status.Registers;

    /// <summary>Thread name: NT_THRMISC, else kinfo_proc's ki_tdname + ki_moretdname, else NT_PTLWPINFO's pl_tdname.</summary>
    public string? Name { get; init; }

    /// <summary>Which note the name came from.</summary>
    public string? NameSource { get; init; }

    public FpState? FpState { get; init; }
    public XState? XState { get; init; }
    public LwpInfo? LwpInfo { get; init; }
    public SegmentBases? SegmentBases { get; init; }

    /// <summary>This thread's record of NT_PROCSTAT_PROC (matched by ki_tid), when the producer wrote one.</summary>
    public KinfoProc? Kinfo { get; init; }

    /// <summary>ki_wmesg, or null when the thread is not sleeping or the core has no kinfo_proc (gdb cores).</summary>
    public string? WaitMessage => Kinfo is { WaitMessage.Length: > 0 } k ? k.WaitMessage : null;
}

/// <summary>The dumped process as a whole: identity, files, mappings, limits, auxv and its threads.</summary>
public sealed record CoreProcess
{
    /// <summary>Process id: pr_pid of NT_PRPSINFO, or ki_pid when pr_pid is 0 (spec §3.4; corpus bsi-08c8232b).</summary>
    public int? Pid { get; init; }
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

    /// <summary>The process's osreldate: NT_PROCSTAT_OSREL, else AT_OSRELDATE, else pr_osreldate.</summary>
    public int? OsRelDate { get; init; }
    public string? OsRelDateSource { get; init; }

    public DateTimeOffset? StartTime { get; init; }
    public string? Emulation { get; init; }
    public string? WorkingDirectory { get; init; }
    public string? Executable { get; init; }
    public long? ProcessFlags { get; init; }

    /// <summary>pr_cursig: the signal that caused the dump (kernel cores); 0 otherwise.</summary>
    public int Signal { get; init; }

    public IReadOnlyList<KinfoFile> OpenFiles { get; init; } = [];
    public IReadOnlyList<KinfoVmEntry> Mappings { get; init; } = [];
    public IReadOnlyList<uint> Groups { get; init; } = [];
    public ushort? Umask { get; init; }
    public IReadOnlyList<ResourceLimit> ResourceLimits { get; init; } = [];
    public IReadOnlyList<AuxvEntry> Auxv { get; init; } = [];
    public ulong? PsStrings { get; init; }

    /// <summary>Which process-wide notes were present, by type name, in note order.</summary>
    public IReadOnlyList<string> NotesPresent { get; init; } = [];
}

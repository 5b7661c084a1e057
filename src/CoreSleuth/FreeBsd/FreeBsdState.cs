namespace CoreSleuth.FreeBsd;

/// <summary>
/// What only a FreeBSD core says of a thread: its NT_PRSTATUS as written, NT_THRMISC, NT_PTLWPINFO
/// and its kinfo_proc record; hung under <see cref="Model.CoreThread.FreeBsd"/> (null for a Linux thread).
/// </summary>
public sealed record FreeBsdThreadState
{
    /// <summary>NT_PRSTATUS as written (spec §3.2: pr_version, sizes, pr_osreldate).</summary>
    public required PrStatus Status { get; init; }

    /// <summary>The thread's NT_THRMISC as written, bytes after the name included (spec §3.5); null when it has none.</summary>
    public ThrMisc? ThrMisc { get; init; }

    /// <summary>The thread's NT_PTLWPINFO; null when it has none.</summary>
    public LwpInfo? LwpInfo { get; init; }

    /// <summary>This thread's record of NT_PROCSTAT_PROC (matched by ki_tid), when the producer wrote one.</summary>
    public KinfoProc? Kinfo { get; init; }
}

/// <summary>
/// What only a FreeBSD core says of the process: NT_PRPSINFO as written, the kinfo_proc records,
/// the FreeBSD version, the ABI and the procstat notes' padding; hung under
/// <see cref="Model.CoreProcess.FreeBsd"/> (null for a Linux process).
/// </summary>
public sealed record FreeBsdProcessState
{
    /// <summary>
    /// NT_PRPSINFO as written (spec §3.4), when the core has one: its pr_fname, pr_psargs and
    /// pr_pid unmerged with kinfo_proc (pr_pid is 0 from some 11.0 kernels, corpus bsi-08c8232b),
    /// and pr_version/pr_psinfosz, which gdb may leave zero (spec doubt 2).
    /// </summary>
    public PrPsInfo? PsInfo { get; init; }

    /// <summary>Every record of NT_PROCSTAT_PROC in note order (p_threads order, spec §4.1).</summary>
    public IReadOnlyList<KinfoProc> KinfoProcs { get; init; } = [];

    /// <summary>
    /// The system's <c>__FreeBSD_version</c> (which syscall numbers and structures apply):
    /// AT_OSRELDATE, else pr_osreldate, else — as a last resort — NT_PROCSTAT_OSREL.
    /// </summary>
    public int? OsRelDate { get; init; }

    /// <summary>Where <see cref="OsRelDate"/> came from: "AT_OSRELDATE", "pr_osreldate" or "NT_PROCSTAT_OSREL (…)".</summary>
    public string? OsRelDateSource { get; init; }

    /// <summary>
    /// NT_PROCSTAT_OSREL: p_osrel, the FreeBSD version the executable was built for (from its ABI
    /// note), which may be older than the running system (corpus: 1202000 on a 13.0 system).
    /// </summary>
    public int? ExecutableOsRelDate { get; init; }

    /// <summary>ki_emul: the ABI the process ran under ("FreeBSD ELF64").</summary>
    public string? Emulation { get; init; }

    /// <summary>ki_flag: the process's P_* flags (P_TRACED…).</summary>
    public long? ProcessFlags { get; init; }

    /// <summary>AT_PS_STRINGS: where the kernel put <c>struct ps_strings</c> (argv and envp).</summary>
    public ulong? PsStrings { get; init; }

    /// <summary>
    /// Zero bytes after the last kinfo_file record of NT_PROCSTAT_FILES: the kernel sizes the note
    /// in a first pass and pads what the second pass did not fill (spec §5). Kept so the note's
    /// length is known; 0 when the records fill the note.
    /// </summary>
    public int OpenFilesNotePadding { get; init; }

    /// <summary>Zero bytes after the last kinfo_vmentry record of NT_PROCSTAT_VMMAP (same rule, spec §6).</summary>
    public int MappingsNotePadding { get; init; }
}

namespace CoreSleuth.Testing.Cores;

/// <summary>
/// Process-wide facts: NT_PRPSINFO and the process members of every kinfo_proc record
/// (spec §3.4, §4). Members named after the C fields they fill.
/// </summary>
public sealed record ProcessSpec
{
    public int Pid { get; init; } = 1234;
    public int Ppid { get; init; } = 1;
    /// <summary>ki_pgid. Null = Pid.</summary>
    public int? Pgid { get; init; }
    public int Tpgid { get; init; }
    /// <summary>ki_sid. Null = Pid.</summary>
    public int? Sid { get; init; }
    public int Tsid { get; init; }
    public short Jobc { get; init; }
    /// <summary>Controlling tty: ki_tdev (64-bit at 560, 12+) and its 32-bit copy at 100.</summary>
    public ulong Tdev { get; init; }
    /// <summary>ki_tdev_freebsd11 at 100. Null = the low 32 bits of <see cref="Tdev"/> (what the kernel stores).</summary>
    public uint? TdevFreeBsd11 { get; init; }

    /// <summary>Effective uid (ki_uid).</summary>
    public uint Uid { get; init; }
    /// <summary>Null = Uid.</summary>
    public uint? Ruid { get; init; }
    /// <summary>Null = Uid.</summary>
    public uint? Svuid { get; init; }
    public uint Rgid { get; init; }
    /// <summary>Null = Rgid.</summary>
    public uint? Svgid { get; init; }
    /// <summary>Supplementary groups: NT_PROCSTAT_GROUPS lists all, ki_groups the first 16, ki_ngroups = count.</summary>
    public IReadOnlyList<uint> Groups { get; init; } = [0];

    /// <summary>Command name (p_comm, COMMLEN 19): ki_comm; pr_fname takes its first 16 chars.</summary>
    public string Command { get; init; } = "a.out";
    /// <summary>argv. Null = just the command name. pr_psargs = the arguments joined by spaces, truncated to 80.</summary>
    public IReadOnlyList<string>? Arguments { get; init; }
    /// <summary>Overrides pr_psargs (older kernels store only the command name there).</summary>
    public string? PsArgs { get; init; }
    /// <summary>Overrides pr_fname.</summary>
    public string? FName { get; init; }
    /// <summary>Overrides pr_pid of NT_PRPSINFO (0 from some 11.0 kernels). Null = Pid.</summary>
    public int? PrPsInfoPid { get; init; }
    /// <summary>For round trips of real cores: a 120-byte NT_PRPSINFO image the fields are written over.</summary>
    public byte[]? PrPsInfoRaw { get; init; }

    /// <summary>ki_start: process start time.</summary>
    public TimeVal Start { get; init; } = new(1_700_000_000, 0);
    public TimeVal ChildTime { get; init; }
    public string Emul { get; init; } = "FreeBSD ELF64";
    public string Login { get; init; } = "root";
    public string LoginClass { get; init; } = "default";

    /// <summary>
    /// ki_flag (P_*). Null = P_INMEM|P_EXEC|P_CONTROLT (as in the corpus cores), plus
    /// P_HADTHREADS with more than one thread, P_TRACED|P_STOPPED_TRACE for gcore/gdb (ptrace-attached)
    /// and P_STOPPED_SINGLE for a multi-threaded kernel dump (single-threaded before dumping).
    /// </summary>
    public ulong? Flag { get; init; }
    public uint Flag2 { get; init; }
    /// <summary>ki_kiflag (KI_CTTY 1, KI_SLEADER 2); per-thread bits come from <see cref="ThreadKinfo.KiFlag"/>.</summary>
    public ulong KiFlag { get; init; } = KiFlags.Ctty;
    public int TraceFlag { get; init; }
    public int Fibnum { get; init; }
    public uint CrFlags { get; init; }
    public int Jid { get; init; }
    /// <summary>ki_tracer (11+; pid of the tracing process).</summary>
    public int Tracer { get; init; }
    public sbyte Nice { get; init; }
    public byte Lock { get; init; }
    public ushort XStat { get; init; }
    public ushort AcFlag { get; init; }
    public uint SwTime { get; init; }
    /// <summary>ki_numthreads. Null = number of threads.</summary>
    public int? NumThreads { get; init; }

    /// <summary>ki_size in bytes. Null = sum of the mapping sizes.</summary>
    public ulong? VmSize { get; init; }
    /// <summary>ki_rssize in pages. Null = sum of the mappings' resident counts.</summary>
    public ulong? RsSize { get; init; }
    public ulong SwRss { get; init; }
    public ulong TSize { get; init; }
    public ulong DSize { get; init; }
    public ulong SSize { get; init; }

    public SigSet SigIgnore { get; init; }
    public SigSet SigCatch { get; init; }
    public Rusage RusageChildren { get; init; } = Rusage.Zero;
    /// <summary>ki_sflag (PS_*). Default PS_INMEM (1), as in the corpus cores.</summary>
    public ulong SFlag { get; init; } = 1;
    public int Layout { get; init; }

    // Kernel pointers (only useful for equality tests).
    public ulong ArgsPtr { get; init; }
    public ulong ProcPtr { get; init; }
    public ulong AddrPtr { get; init; }
    public ulong TracepPtr { get; init; }
    public ulong TextVpPtr { get; init; }
    public ulong FdPtr { get; init; }
    public ulong VmSpacePtr { get; init; }
    public ulong UData { get; init; }
    /// <summary>ki_pd (13+; spare pointer before).</summary>
    public ulong PwdDescPtr { get; init; }

    /// <summary>pr_psargs as the producers build it: argv joined by spaces (80 chars kept).</summary>
    public string JoinedArguments => PsArgs ?? string.Join(' ', Arguments ?? [Command]);
}

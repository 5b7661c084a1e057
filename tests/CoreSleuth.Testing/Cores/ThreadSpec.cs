namespace CoreSleuth.Testing.Cores;

/// <summary>One thread (LWP) of the process: its register notes and its per-thread kinfo_proc record.</summary>
public sealed record ThreadSpec
{
    /// <summary>LWP id: pr_pid of NT_PRSTATUS, ki_tid, pl_lwpid (spec §3.1, §4, §3.6).</summary>
    public int Lwp { get; init; } = 100100;

    /// <summary>
    /// Thread name (td_name, up to 19 chars): THRMISC pr_tname, ki_tdname (first 16) +
    /// ki_moretdname (next 3), pl_tdname. Null = the process's command name, the kernel default.
    /// </summary>
    public string? Name { get; init; }

    public Registers Registers { get; init; } = new();
    public FpuState Fpu { get; init; } = FpuState.Reset;

    /// <summary>
    /// The XSAVE area (NT_X86_XSTATE). Null = no XSAVE support: gcore then writes an empty
    /// XSTATE note, the kernel and gdb write none (spec §2.1, §3.8).
    /// </summary>
    public XSaveArea? XSave { get; init; } = new();

    /// <summary>%fs base = TCB address (NT_X86_SEGBASES, spec §3.7, §9.2).</summary>
    public ulong FsBase { get; init; }
    public ulong GsBase { get; init; }

    /// <summary>Per-thread fields of this thread's kinfo_proc record (spec §4.1).</summary>
    public ThreadKinfo Kinfo { get; init; } = new();

    /// <summary>NT_PTLWPINFO contents (spec §3.6).</summary>
    public LwpInfo LwpInfo { get; init; } = LwpInfo.None;

    /// <summary>
    /// The thread that caused the dump (kernel) or the signalled/current thread (gdb): its
    /// notes are written first. <see cref="CoreSpec.SignalledLwp"/> takes precedence.
    /// </summary>
    public bool Signalled { get; init; }

    /// <summary>For round trips of real cores: a 224-byte NT_PRSTATUS image the fields are written over.</summary>
    public byte[]? PrStatusRaw { get; init; }

    /// <summary>
    /// For round trips of real cores: a 24-byte NT_THRMISC image the name is written over
    /// (the 11.0 kernel leaves stack bytes after the name's NUL).
    /// </summary>
    public byte[]? ThrMiscRaw { get; init; }
}

/// <summary>
/// The per-thread members of struct kinfo_proc (spec §4, §4.1: fill_kinfo_thread). Process-wide
/// members live in <see cref="ProcessSpec"/>.
/// </summary>
public sealed record ThreadKinfo
{
    /// <summary>ki_wmesg (spec §8): at most 8 characters are stored; "" = not sleeping.</summary>
    public string WaitMessage { get; init; } = "";
    /// <summary>ki_wchan: kernel address slept on (0 if not sleeping).</summary>
    public ulong WaitChannel { get; init; }
    /// <summary>ki_stat. Null = producer default: gcore SSTOP (ptrace-stopped process, spec §4.1); kernel SRUN for the dumping thread, SSTOP for the others; gdb SSTOP.</summary>
    public byte? Stat { get; init; }
    /// <summary>ki_tdflags (TDF_*). Default TDF_INMEM (0x4), present in every real core.</summary>
    public ulong TdFlags { get; init; } = Cores.TdFlags.InMem;
    /// <summary>ki_lockname (KI_LOCKBLOCK), at most 8 characters.</summary>
    public string LockName { get; init; } = "";
    /// <summary>Bits OR-ed into the process's ki_kiflag for this record (KI_LOCKBLOCK is per thread).</summary>
    public ulong KiFlag { get; init; }
    public SigSet SigList { get; init; }
    public SigSet SigMask { get; init; }
    public uint PctCpu { get; init; }
    public uint EstCpu { get; init; }
    public uint SlpTime { get; init; }
    public uint Cow { get; init; }
    /// <summary>ki_runtime in µs.</summary>
    public ulong Runtime { get; init; }
    public byte RqIndex { get; init; }
    /// <summary>ki_oncpu (int, 11+); -1 = NOCPU.</summary>
    public int OnCpu { get; init; } = -1;
    /// <summary>ki_lastcpu (int, 11+).</summary>
    public int LastCpu { get; init; }
    /// <summary>ki_oncpu_old (byte at 392). Null = OnCpu clamped to 0..255 (NOCPU → 255).</summary>
    public byte? OnCpuOld { get; init; }
    /// <summary>ki_lastcpu_old (byte at 393). Null = LastCpu clamped to 0..255.</summary>
    public byte? LastCpuOld { get; init; }
    /// <summary>struct priority at 604: pri_class, pri_level, pri_native, pri_user.</summary>
    public byte PriClass { get; init; } = 3;
    public byte PriLevel { get; init; } = 120;
    public byte PriNative { get; init; } = 120;
    public byte PriUser { get; init; } = 120;
    public Rusage Rusage { get; init; } = Rusage.Zero;
    /// <summary>Kernel addresses: ki_pcb, ki_kstack, ki_tdaddr (struct thread *).</summary>
    public ulong Pcb { get; init; }
    public ulong KStack { get; init; }
    public ulong TdAddr { get; init; }

    /// <summary>For round trips of real cores: a 1088-byte kinfo_proc image the fields are written over (spare fields, string tails).</summary>
    public byte[]? Raw { get; init; }
}

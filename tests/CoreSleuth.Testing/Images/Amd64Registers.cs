namespace CoreSleuth.Testing.Images;

/// <summary>
/// One thread's general registers: the fields of FreeBSD's <c>struct reg</c> (spec §3.2, in the same
/// order), plus the fs/gs bases that are not part of it (NT_X86_SEGBASES, spec §3.7).
/// </summary>
public sealed record Amd64Registers
{
    public ulong R15 { get; init; }
    public ulong R14 { get; init; }
    public ulong R13 { get; init; }
    public ulong R12 { get; init; }
    public ulong R11 { get; init; }
    public ulong R10 { get; init; }
    public ulong R9 { get; init; }
    public ulong R8 { get; init; }
    public ulong Rdi { get; init; }
    public ulong Rsi { get; init; }
    public ulong Rbp { get; init; }
    public ulong Rbx { get; init; }
    public ulong Rdx { get; init; }
    public ulong Rcx { get; init; }
    public ulong Rax { get; init; }
    public uint Trapno { get; init; }
    public ushort Fs { get; init; } = 0x13;
    public ushort Gs { get; init; } = 0x1b;
    /// <summary>2 = length of the <c>syscall</c> instruction, kept for restarting (spec §7.2).</summary>
    public uint Err { get; init; } = 2;
    public ushort Es { get; init; } = 0x3b;
    public ushort Ds { get; init; } = 0x3b;
    public ulong Rip { get; init; }
    public ulong Cs { get; init; } = 0x43;
    public ulong Rflags { get; init; } = 0x246;
    public ulong Rsp { get; init; }
    public ulong Ss { get; init; } = 0x3b;

    /// <summary>%fs base = the thread's TCB (spec §9.2). Not in struct reg.</summary>
    public ulong FsBase { get; init; }

    public ulong GsBase { get; init; }
}

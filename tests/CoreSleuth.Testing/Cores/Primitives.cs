namespace CoreSleuth.Testing.Cores;

/// <summary>
/// sigset_t: four 32-bit words, signal n is bit (n-1) (spec §3.6). Used for ki_siglist,
/// ki_sigmask, ki_sigignore, ki_sigcatch, pl_sigmask and pl_siglist.
/// </summary>
public readonly record struct SigSet(uint Word0, uint Word1, uint Word2, uint Word3)
{
    public static SigSet Empty => default;

    /// <summary>The set holding the given signal numbers (1..128).</summary>
    public static SigSet Of(params int[] signals)
    {
        Span<uint> w = stackalloc uint[4];
        foreach (var sig in signals)
        {
            if (sig < 1 || sig > 128)
                throw new ArgumentOutOfRangeException(nameof(signals), sig, "signal numbers are 1..128");
            w[(sig - 1) / 32] |= 1u << ((sig - 1) % 32);
        }
        return new SigSet(w[0], w[1], w[2], w[3]);
    }

    internal void Encode(Span<byte> b, int off)
    {
        Le.U32(b, off, Word0);
        Le.U32(b, off + 4, Word1);
        Le.U32(b, off + 8, Word2);
        Le.U32(b, off + 12, Word3);
    }
}

/// <summary>struct timeval {int64 tv_sec; int64 tv_usec} (16 bytes on amd64).</summary>
public readonly record struct TimeVal(long Seconds, long Microseconds)
{
    internal void Encode(Span<byte> b, int off)
    {
        Le.I64(b, off, Seconds);
        Le.I64(b, off + 8, Microseconds);
    }
}

/// <summary>struct rusage, 144 bytes: two timevals and fourteen longs (spec §4: ki_rusage at 608, ki_rusage_ch at 752).</summary>
public sealed record Rusage
{
    public TimeVal UserTime { get; init; }
    public TimeVal SystemTime { get; init; }
    public long MaxRss { get; init; }
    public long IxRss { get; init; }
    public long IdRss { get; init; }
    public long IsRss { get; init; }
    public long MinFlt { get; init; }
    public long MajFlt { get; init; }
    public long NSwap { get; init; }
    public long InBlock { get; init; }
    public long OuBlock { get; init; }
    public long MsgSnd { get; init; }
    public long MsgRcv { get; init; }
    public long NSignals { get; init; }
    public long NVcsw { get; init; }
    public long NIvcsw { get; init; }

    public const int Size = 144;

    public static Rusage Zero { get; } = new();

    internal void Encode(Span<byte> b, int off)
    {
        UserTime.Encode(b, off);
        SystemTime.Encode(b, off + 16);
        long[] longs = [MaxRss, IxRss, IdRss, IsRss, MinFlt, MajFlt, NSwap, InBlock, OuBlock, MsgSnd, MsgRcv, NSignals, NVcsw, NIvcsw];
        for (int i = 0; i < longs.Length; i++)
            Le.I64(b, off + 32 + 8 * i, longs[i]);
    }

    public byte[] ToBytes()
    {
        var b = new byte[Size];
        Encode(b, 0);
        return b;
    }
}

/// <summary>One Elf64_Auxinfo entry {int64 a_type; uint64 a_val} (spec §2.2, NT_PROCSTAT_AUXV).</summary>
public readonly record struct AuxvEntry(long Type, ulong Value);

/// <summary>struct rlimit {int64 rlim_cur; int64 rlim_max} (spec §2.2, NT_PROCSTAT_RLIMIT).</summary>
public readonly record struct Rlimit(long Current, long Maximum)
{
    /// <summary>RLIM_INFINITY on FreeBSD/amd64.</summary>
    public const long Infinity = long.MaxValue;
    public static Rlimit Unlimited => new(Infinity, Infinity);
}

/// <summary>One raw note: name (written with its NUL), type and descriptor (spec §2.1).</summary>
public sealed record NoteSpec(string Name, uint Type, byte[] Descriptor)
{
    public const string FreeBsd = "FreeBSD";

    public static NoteSpec FreeBsdNote(uint type, byte[] descriptor) => new(FreeBsd, type, descriptor);
}

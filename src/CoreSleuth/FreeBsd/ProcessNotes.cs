namespace CoreSleuth.FreeBsd;

/// <summary>One <c>struct rlimit</c> of NT_PROCSTAT_RLIMIT, by resource index.</summary>
public sealed record ResourceLimit(int Resource, long Current, long Maximum)
{
    public const long Infinity = long.MaxValue; // RLIM_INFINITY on FreeBSD: 2^63-1

    public string Name => Resource switch
    {
        0 => "cpu", 1 => "fsize", 2 => "data", 3 => "stack", 4 => "core", 5 => "rss", 6 => "memlock", 7 => "nproc",
        8 => "nofile", 9 => "sbsize", 10 => "vmem", 11 => "npts", 12 => "swap", 13 => "kqueues", 14 => "umtxp", 15 => "pipebuf",
        _ => $"resource {Resource}",
    };
}

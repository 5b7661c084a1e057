using System.Runtime.InteropServices;

namespace CoreSleuth.Elf;

/// <summary>
/// madvise(2) for this process's own memory: the mapped core's pages once read (<see cref="ByteSource.Release"/>), the collector's
/// heap. Advice only: where it cannot be given (another system, libc not found), nothing changes.
/// </summary>
public static partial class MemoryAdvice
{
    /// <summary>MADV_DONTNEED: the pages leave the resident set (a file's come back from the page cache when read).</summary>
    public const int DontNeed = 4;

    /// <summary>MADV_HUGEPAGE (Linux 2.6.38): transparent huge pages where THP is "madvise".</summary>
    public const int HugePage = 14;

    /// <summary>The bytes of a transparent huge page on x86-64: what the advice above aligns to.</summary>
    public const int HugePageSize = 2 << 20;

    /// <summary>MADV_POPULATE_READ (Linux 5.14): map the range's pages now, as reading them would, without a fault per page.</summary>
    public const int PopulateRead = 22;

    /// <summary>MADV_COLLAPSE (Linux 6.1): make the range huge pages now.</summary>
    public const int Collapse = 25;

    /// <summary>Gives <paramref name="advice"/> for [address, address+length); false when it failed or could not be given.</summary>
    public static bool Advise(ulong address, ulong length, int advice)
    {
        if (!OperatingSystem.IsLinux()) return false;
        // The .NET tool looks libc up at run time.
        try { return madvise((nint)address, (nuint)length, advice) == 0; }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int madvise(nint address, nuint length, int advice);
}

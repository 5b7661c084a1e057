using System.Globalization;
using System.Runtime.InteropServices;
using CoreSleuth.Elf;

namespace CoreSleuth.Cli;

/// <summary>
/// The garbage collector's memory, prepared once before a command runs. An analysis of a thousand
/// threads allocates about 20 MiB and keeps most of it until the report is written; on Linux the
/// kernel's first touch of each fresh 4 KiB page of it was about half of the run (README,
/// Performance). Both steps are tunings: when one cannot be taken, the command runs as before.
/// </summary>
internal static class CollectorMemory
{
    /// <summary>
    /// What a command may allocate before the first garbage collection: an analysis keeps nearly all
    /// it allocates until the report is written, so collecting only copies it. Ten thousand threads
    /// allocate 40 MiB for the text report and 118 MiB for JSON (every frame's registers), read with
    /// --timings; collections of a smaller budget once paused such a run for 240 ms of 1 s
    /// (docs/performance.md). The budget is committed, not touched, but committing costs start-up
    /// time in proportion: with 768 MiB every command started about 4 ms later than with 256
    /// (`coresleuth --version`, side by side). Past the budget, collections resume as usual.
    /// </summary>
    public const long NoCollectionBudget = 256L << 20;

    public static void Prepare()
    {
        ulong? firstBlock = OperatingSystem.IsLinux() ? AdviseHugePages() : null;
        // The region starts with a collection of the few start-up objects: an ephemeral one is
        // enough (the heap is all but empty, so the budget is there), and the full blocking
        // collection it would otherwise be cost every command 2 ms (`coresleuth --version`, side by side).
        try { GC.TryStartNoGCRegion(NoCollectionBudget, disallowFullBlockingGC: true); }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or InvalidOperationException) { }
        // The 2 MiB around the first objects was touched page by page before the advice, so it would
        // stay in small pages; the collector goes on allocating there. Once the no-collection region
        // has committed it whole, it can be made one huge page.
        if (firstBlock is { } block) MemoryAdvice.Advise(block, MemoryAdvice.HugePageSize, MemoryAdvice.Collapse);
    }

    /// <summary>
    /// Asks the kernel for transparent huge pages (2 MiB, one page fault each instead of 512) over
    /// the collector's heap: the run of adjacent anonymous mappings, committed and reserved, that
    /// holds a newly allocated object. Linux gives them only where advised when THP is "madvise",
    /// its default. Returns the 2 MiB block of that object, or null when nothing was advised.
    /// </summary>
    internal static ulong? AdviseHugePages()
    {
        ulong address;
        var handle = GCHandle.Alloc(new byte[64], GCHandleType.Pinned);
        try { address = (ulong)handle.AddrOfPinnedObject(); }
        finally { handle.Free(); }
        IEnumerable<string> maps;
        try { maps = File.ReadAllLines("/proc/self/maps"); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
        if (AnonymousRunAround(maps, address) is not { } run) return null;
        return MemoryAdvice.Advise(run.Start, run.End - run.Start, MemoryAdvice.HugePage) ? address & ~(ulong)(MemoryAdvice.HugePageSize - 1) : null;
    }

    /// <summary>
    /// The widest run of adjacent anonymous mappings (no file, inode 0) in <paramref name="maps"/>
    /// (lines of <c>/proc/PID/maps</c>) that contains <paramref name="address"/>; null when the
    /// address is not in an anonymous mapping or a line cannot be read.
    /// </summary>
    internal static (ulong Start, ulong End)? AnonymousRunAround(IEnumerable<string> maps, ulong address)
    {
        var mappings = new List<(ulong Start, ulong End, bool Anonymous)>();
        foreach (string line in maps)
        {
            if (line.Length == 0) continue;
            if (Mapping(line) is not { } m) return null;
            mappings.Add(m);
        }
        int at = mappings.FindIndex(m => m.Start <= address && address < m.End);
        if (at < 0 || !mappings[at].Anonymous) return null;
        int first = at, last = at;
        while (first > 0 && mappings[first - 1].Anonymous && mappings[first - 1].End == mappings[first].Start) first--;
        while (last + 1 < mappings.Count && mappings[last + 1].Anonymous && mappings[last + 1].Start == mappings[last].End) last++;
        return (mappings[first].Start, mappings[last].End);
    }

    /// <summary>"start-end perms offset dev inode [path]", as proc(5) documents it.</summary>
    private static (ulong Start, ulong End, bool Anonymous)? Mapping(string line)
    {
        var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 5) return null;
        var range = fields[0].Split('-');
        if (range.Length != 2
            || !ulong.TryParse(range[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong start)
            || !ulong.TryParse(range[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong end)
            || end <= start)
            return null;
        bool anonymous = fields[4] == "0" && (fields.Length == 5 || string.IsNullOrWhiteSpace(fields[5]));
        return (start, end, anonymous);
    }
}

using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using CoreSleuth.Diagnostics;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis.Libthr;

/// <summary>
/// The symbol-free pthread search of spec §9.4 step 2: find TCBs by their self-pointer in
/// writable anonymous memory, follow TCB+16 to a struct pthread whose tid is a known LWP, and
/// require the pthread→TCB back-pointer at one offset shared by every thread. Three
/// independent 64-bit equalities make false matches practically impossible.
/// </summary>
public static class SignatureScan
{
    /// <summary>How far into struct pthread the TCB back-pointer may lie (480/544/552 are known, spec §9.1).</summary>
    public const int BackPointerWindow = 0x500;

    /// <summary>Bytes read at a time: large enough for few system calls, small enough to stay in the caches.</summary>
    private const int ChunkSize = 1 << 20;
    private static readonly int[] KnownTcbOffsets = [552, 544, 480];

    public sealed record Match(int Lwp, ulong Pthread, ulong Tcb);

    public sealed record Result(IReadOnlyList<Match> Matches, int? TcbOffset, long BytesScanned, int SelfPointers, string Summary);

    /// <summary>The address ranges scanned: writable anonymous (DEFAULT/SWAP) mappings, or every writable PT_LOAD without a VMMAP note.</summary>
    public static IReadOnlyList<(ulong Start, ulong End)> Regions(CoreFile core)
    {
        var maps = core.Process.Mappings;
        // NT_FILE lists only the file mappings: the anonymous memory is every writable PT_LOAD no file maps.
        if (core.Process.MappingsAreFilesOnly)
            return core.Memory.Segments.Where(s => (s.Flags & Elf.ElfConstants.PF_W) != 0 && !maps.Any(m => m.Kind == MappingKind.File && m.Start <= s.Start && s.Start < m.End))
                       .Select(s => (s.Start, s.End)).ToList();
        if (maps.Count > 0)
            return maps.Where(m => m.Kind == MappingKind.Anonymous && m.CanWrite)
                       .Select(m => (m.Start, m.End)).ToList();
        return core.Memory.Segments.Where(s => (s.Flags & Elf.ElfConstants.PF_W) != 0).Select(s => (s.Start, s.End)).ToList();
    }

    /// <param name="progress">Told the bytes of the regions passed so far (scanned, or skipped where the core lacks them) of their total, once per chunk.</param>
    public static Result Run(CoreFile core, IReadOnlySet<int> lwps, IProgress<WorkProgress>? progress = null)
    {
        var memory = core.Memory;
        var selfPointers = new List<ulong>();
        long scanned = 0;
        // Read, not mapped: the resident set stays at one buffer however large the core is.
        var buffer = GC.AllocateUninitializedArray<byte>(ChunkSize);
        var regions = Regions(core);
        // For the progress line only; claimed sizes (p_memsz) may add up past long's range, so the total saturates.
        ulong claimed = regions.Aggregate(0UL, (sum, r) => sum + Math.Min(r.End - r.Start, ulong.MaxValue - sum));
        long total = (long)Math.Min(claimed, long.MaxValue), passed = 0;
        foreach (var (start, end) in regions)
        {
            for (ulong at = start; at < end;)
            {
                progress?.Report(new WorkProgress("pthread signature scan", passed + (long)(at - start), total));
                int n = memory.ReadWithoutMapping(at, buffer.AsSpan(0, (int)Math.Min((ulong)ChunkSize, end - at)));
                if (n == 0)
                {
                    // Not in the core here: skip to the next segment that covers the range.
                    var next = memory.Segments.FirstOrDefault(s => s.Start > at && s.Start < end);
                    if (next is null) break;
                    at = next.Start;
                    continue;
                }
                FindSelfPointers(buffer.AsSpan(0, n), at, selfPointers);
                scanned += n;
                at += (ulong)n;
            }
            passed += (long)(end - start);
        }
        progress?.Report(new WorkProgress("pthread signature scan", total, total));

        // TCB → pthread → tid, then every offset in the pthread that points back at the TCB.
        var candidates = new List<(Match Match, int Offset)>();
        var window = new byte[BackPointerWindow];
        foreach (ulong tcb in selfPointers)
        {
            if (!memory.TryReadPointer(tcb + 16, out ulong p) || p == 0 || p % 8 != 0) continue;
            if (!memory.TryReadUInt64(p, out ulong tid) || tid > int.MaxValue || !lwps.Contains((int)tid)) continue;
            int got = memory.Read(p, window) & ~7;
            var words = MemoryMarshal.Cast<byte, ulong>(window.AsSpan(0, got));
            for (int i = 1; i < words.Length; i++)
                if (words[i] == tcb) candidates.Add((new Match((int)tid, p, tcb), i * 8));
        }

        int? offset = candidates.GroupBy(c => c.Offset)
            .OrderByDescending(g => g.Select(c => c.Match.Lwp).Distinct().Count())
            .ThenBy(g => Array.IndexOf(KnownTcbOffsets, g.Key) is var k && k < 0 ? int.MaxValue : k)
            .Select(g => (int?)g.Key).FirstOrDefault();
        var matches = candidates.Where(c => c.Offset == offset).Select(c => c.Match)
            .GroupBy(m => m.Lwp).Select(g => g.First()).ToList();

        string summary = $"signature scan: {scanned >> 20} MiB of writable anonymous memory, {selfPointers.Count} TCB self-pointers, " +
                         (offset is null
                             ? "no pthread with a known LWP and a TCB back-pointer"
                             : $"pthread→TCB back-pointer at offset {offset} shared by {Plural.Of(matches.Count, "thread")}; matched {matches.Count} of {lwps.Count} LWPs");
        return new Result(matches, offset, scanned, selfPointers.Count, summary);
    }

    /// <summary>
    /// Adds every 8-aligned address A in the span whose 8 bytes equal A (a self-pointer).
    /// Vectorised: four words compared against four expected addresses per step.
    /// </summary>
    public static void FindSelfPointers(ReadOnlySpan<byte> bytes, ulong address, List<ulong> hits)
    {
        int skip = (int)((8 - (address & 7)) & 7);
        if (skip >= bytes.Length) return;
        bytes = bytes[skip..];
        address += (ulong)skip;
        var words = MemoryMarshal.Cast<byte, ulong>(bytes);
        int i = 0;
        if (Vector256.IsHardwareAccelerated && words.Length >= 8)
        {
            ref ulong start = ref MemoryMarshal.GetReference(words);
            var expected0 = Vector256.Create(address, address + 8, address + 16, address + 24);
            var expected1 = expected0 + Vector256.Create(32UL);
            var step = Vector256.Create(64UL);
            for (; i + 8 <= words.Length; i += 8)
            {
                var a = Vector256.LoadUnsafe(ref start, (nuint)i);
                var b = Vector256.LoadUnsafe(ref start, (nuint)i + 4);
                if ((Vector256.Equals(a, expected0) | Vector256.Equals(b, expected1)) != Vector256<ulong>.Zero)
                    for (int k = 0; k < 8; k++)
                        if (words[i + k] == address + (ulong)(i + k) * 8) hits.Add(address + (ulong)(i + k) * 8);
                expected0 += step;
                expected1 += step;
            }
        }
        for (; i < words.Length; i++)
            if (words[i] == address + (ulong)i * 8) hits.Add(address + (ulong)i * 8);
    }
}

using System.Buffers.Binary;
using CoreSleuth.Elf;

namespace CoreSleuth.Memory;

/// <summary>One PT_LOAD: a range of the process's address space and where its bytes are in the file.</summary>
public sealed record CoreSegment(ulong Start, ulong End, long FileOffset, ulong FileSize, uint Flags, int ProgramHeaderIndex)
{
    public ulong Size => End - Start;
    public bool Contains(ulong address) => address >= Start && address < End;
}

/// <summary>Why bytes at an address cannot be read.</summary>
public enum Unavailability
{
    None,
    /// <summary>No PT_LOAD covers the address: not mapped, or a mapping the producer did not dump.</summary>
    NotInCore,
    /// <summary>A PT_LOAD covers it but its bytes lie past the end of the file (stripped or truncated core).</summary>
    PastEndOfFile,
    /// <summary>A PT_LOAD covers it but p_filesz is shorter than p_memsz.</summary>
    NotInFileImage,
}

/// <summary>
/// The process's memory as the core holds it: PT_LOAD segments of the file (spec §1.3).
/// Bytes the core does not hold are unavailable and reported so — never returned as zeros.
/// </summary>
public sealed class AddressSpace
{
    private readonly ByteSource file;
    private readonly CoreSegment[] segments;
    private readonly List<string> warnings = [];

    public AddressSpace(ByteSource file, IEnumerable<ProgramHeader> programHeaders)
    {
        this.file = file;
        var candidates = new List<CoreSegment>();
        foreach (var p in programHeaders)
        {
            if (!p.IsLoad || p.MemorySize == 0) continue;
            // The top of the address space is 2^64, which a ulong end cannot hold: a segment
            // reaching it is clipped to end at 2^64-1 (its very last byte is not addressable).
            ulong end = p.MemorySize > ulong.MaxValue - p.VirtualAddress ? ulong.MaxValue : p.VirtualAddress + p.MemorySize;
            if (end <= p.VirtualAddress) continue;
            if (end != p.VirtualAddress + p.MemorySize)
                warnings.Add($"PT_LOAD {p.Index} at 0x{p.VirtualAddress:x} with p_memsz 0x{p.MemorySize:x} runs past the top of the address space; it is clipped at 0xffffffffffffffff");
            candidates.Add(new CoreSegment(p.VirtualAddress, end, (long)Math.Min(p.Offset, long.MaxValue),
                Math.Min(Math.Min(p.FileSize, p.MemorySize), end - p.VirtualAddress), p.Flags, p.Index));
        }

        // Producers write disjoint PT_LOADs in address order (spec §1.2). If they overlap anyway,
        // an address must still resolve to one segment: the one starting lower keeps the overlap.
        // Sorted only when out of order (the candidates are in program header order already): the
        // sort of ten thousand threads' 20,000 segments was half of this.
        var list = new List<CoreSegment>(candidates.Count);
        ulong coveredTo = 0;
        bool any = false;
        bool inOrder = true;
        for (int i = 1; i < candidates.Count && inOrder; i++)
            inOrder = (candidates[i - 1].Start, candidates[i - 1].ProgramHeaderIndex).CompareTo((candidates[i].Start, candidates[i].ProgramHeaderIndex)) < 0;
        if (!inOrder) candidates = [.. candidates.OrderBy(c => c.Start).ThenBy(c => c.ProgramHeaderIndex)];
        foreach (var c in candidates)
        {
            var s = c;
            if (any && s.Start < coveredTo)
            {
                var previous = list.Count > 0 ? list[^1].ProgramHeaderIndex : -1;
                warnings.Add($"PT_LOAD {s.ProgramHeaderIndex} [0x{s.Start:x}, 0x{s.End:x}) overlaps PT_LOAD {previous}, which ends at 0x{coveredTo:x}; the overlapping bytes are read from the lower segment");
                if (s.End <= coveredTo) continue;
                ulong skip = coveredTo - s.Start;
                s = s with
                {
                    Start = coveredTo,
                    FileOffset = (long)Math.Min((ulong)s.FileOffset + skip, long.MaxValue),
                    FileSize = s.FileSize > skip ? s.FileSize - skip : 0,
                };
            }
            list.Add(s);
            coveredTo = s.End;
            any = true;
        }
        segments = [.. list];
    }

    public IReadOnlyList<CoreSegment> Segments => segments;

    /// <summary>PT_LOADs that overlap or run past 2^64, each in one sentence.</summary>
    public IReadOnlyList<string> Warnings => warnings;

    /// <summary>The segment containing <paramref name="address"/>, or null.</summary>
    public CoreSegment? FindSegment(ulong address)
    {
        int lo = 0, hi = segments.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var s = segments[mid];
            if (address < s.Start) hi = mid - 1;
            else if (address >= s.End) lo = mid + 1;
            else return s;
        }
        return null;
    }

    /// <summary>Whether the byte at <paramref name="address"/> is in the core, and if not, why.</summary>
    public Unavailability Check(ulong address)
    {
        var s = FindSegment(address);
        if (s is null) return Unavailability.NotInCore;
        ulong delta = address - s.Start;
        if (delta >= s.FileSize) return Unavailability.NotInFileImage;
        if ((ulong)s.FileOffset + delta >= (ulong)file.Length) return Unavailability.PastEndOfFile;
        return Unavailability.None;
    }

    /// <summary>A sentence saying why the byte at <paramref name="address"/> is unavailable, or null when it is available.</summary>
    public string? Explain(ulong address) => Check(address) switch
    {
        Unavailability.None => null,
        Unavailability.NotInCore => $"0x{address:x} is not in the core (unmapped, or a mapping that was not dumped)",
        Unavailability.PastEndOfFile => $"0x{address:x} is in a segment whose bytes lie past the end of the file (stripped or truncated core)",
        _ => $"0x{address:x} is past the file image of its segment (p_filesz < p_memsz)",
    };

    /// <summary>
    /// The longest run of bytes available from <paramref name="address"/>, up to
    /// <paramref name="maxLength"/>, without copying; empty when the first byte is unavailable.
    /// Stops at a segment boundary.
    /// </summary>
    public ReadOnlySpan<byte> GetSpan(ulong address, int maxLength)
    {
        var s = FindSegment(address);
        if (s is null || maxLength <= 0) return [];
        ulong delta = address - s.Start;
        if (delta >= s.FileSize || (ulong)s.FileOffset + delta >= (ulong)file.Length) return [];
        int length = (int)Math.Min((ulong)maxLength, s.FileSize - delta);
        return file.Slice(s.FileOffset + (long)delta, length);
    }

    /// <summary>
    /// Copies the bytes available from <paramref name="address"/> up to the end of its segment into
    /// <paramref name="destination"/> with a read of the file, not through the memory map: for
    /// scans of whole mappings, whose pages must not stay resident. 0 when the first byte is unavailable.
    /// </summary>
    public int ReadWithoutMapping(ulong address, Span<byte> destination)
    {
        var (offset, length) = InFile(address, destination.Length);
        return length == 0 ? 0 : file.Read(offset, destination[..length]);
    }

    /// <summary>
    /// How many of <paramref name="length"/> bytes from <paramref name="address"/>
    /// <see cref="ReadWithoutMapping"/> reads: up to the end of the segment's bytes in the file,
    /// and of the file itself.
    /// </summary>
    public int AvailableWithoutMapping(ulong address, int length) => InFile(address, length).Length;

    private (long Offset, int Length) InFile(ulong address, int length)
    {
        var s = FindSegment(address);
        if (s is null || length <= 0) return (0, 0);
        ulong delta = address - s.Start;
        if (delta >= s.FileSize || (ulong)s.FileOffset + delta >= (ulong)file.Length) return (0, 0);
        ulong offset = (ulong)s.FileOffset + delta;
        return ((long)offset, (int)Math.Min(Math.Min((ulong)length, s.FileSize - delta), (ulong)file.Length - offset));
    }

    /// <summary>
    /// Copies as many bytes as are available from <paramref name="address"/> onwards into
    /// <paramref name="destination"/>, crossing adjacent segments; returns how many.
    /// </summary>
    public int Read(ulong address, Span<byte> destination)
    {
        int done = 0;
        while (done < destination.Length)
        {
            ulong at = address + (ulong)done;
            if (at < address) break; // wrapped past the top of the address space
            var span = GetSpan(at, destination.Length - done);
            if (span.IsEmpty) break;
            span.CopyTo(destination[done..]);
            done += span.Length;
        }
        return done;
    }

    /// <summary>All or nothing: true when every byte of <paramref name="destination"/> was read.</summary>
    public bool TryRead(ulong address, Span<byte> destination) => Read(address, destination) == destination.Length;

    public bool TryReadUInt64(ulong address, out ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        bool ok = TryRead(address, b);
        value = ok ? BinaryPrimitives.ReadUInt64LittleEndian(b) : 0;
        return ok;
    }

    public bool TryReadUInt32(ulong address, out uint value)
    {
        Span<byte> b = stackalloc byte[4];
        bool ok = TryRead(address, b);
        value = ok ? BinaryPrimitives.ReadUInt32LittleEndian(b) : 0;
        return ok;
    }

    public bool TryReadPointer(ulong address, out ulong pointer) => TryReadUInt64(address, out pointer);

    /// <summary>
    /// Reads a NUL-terminated string of at most <paramref name="maxBytes"/> bytes. The result
    /// says whether the terminator was found, the bound was hit, or memory ran out first.
    /// </summary>
    public CoreString ReadCString(ulong address, int maxBytes = 4096)
    {
        var buffer = new byte[Math.Max(0, maxBytes)];
        int got = Read(address, buffer);
        int nul = buffer.AsSpan(0, got).IndexOf((byte)0);
        if (nul >= 0) return new CoreString(address, buffer[..nul], CoreStringStatus.Complete, null);
        if (got == buffer.Length) return new CoreString(address, buffer[..got], CoreStringStatus.Truncated, null);
        string reason = Explain(address + (ulong)got) ?? "unavailable";
        return got == 0
            ? new CoreString(address, [], CoreStringStatus.Unavailable, reason)
            : new CoreString(address, buffer[..got], CoreStringStatus.CutShort, reason);
    }
}

public enum CoreStringStatus
{
    /// <summary>Terminated by NUL within the bound.</summary>
    Complete,
    /// <summary>No NUL within the bound; the bytes are the first ones.</summary>
    Truncated,
    /// <summary>Memory became unavailable before a NUL.</summary>
    CutShort,
    /// <summary>Not a single byte is available.</summary>
    Unavailable,
}

/// <summary>Raw bytes of a C string read from the core. Display layers sanitise <see cref="Bytes"/>.</summary>
public sealed record CoreString(ulong Address, byte[] Bytes, CoreStringStatus Status, string? Reason)
{
    public bool IsAvailable => Status != CoreStringStatus.Unavailable;

    /// <summary>The bytes decoded as UTF-8 (invalid sequences replaced); not yet safe for a terminal.</summary>
    public string Text => System.Text.Encoding.UTF8.GetString(Bytes);
}

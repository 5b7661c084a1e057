using CoreSleuth.Elf;
using CoreSleuth.Memory;
using CsCheck;

namespace CoreSleuth.Tests.Reader;

/// <summary>The address space over PT_LOADs (spec §1.2, §1.3) on hand-built segments.</summary>
public sealed class AddressSpaceTests
{
    /// <summary>A file whose byte at offset i is (byte)(i * 7 + 3), so every read can be checked.</summary>
    private static ByteSource File(int length) => ByteSource.FromBytes(Enumerable.Range(0, length).Select(i => (byte)(i * 7 + 3)).ToArray());

    private static byte At(long offset) => (byte)(offset * 7 + 3);

    private static ProgramHeader Load(int index, ulong vaddr, ulong size, ulong offset, ulong? filesz = null, uint flags = 6) =>
        new(index, ElfConstants.PT_LOAD, flags, offset, vaddr, 0, filesz ?? size, size, 4096);

    /// <summary>
    /// A window's reads are the address space's, byte for byte and in how many bytes exist: reads in
    /// any order over adjacent segments, gaps, a segment that starts inside a block and one cut short
    /// by the end of the file, with windows of one and two pages starting at the page or the block.
    /// </summary>
    [Fact]
    public void WindowReadsAreTheAddressSpacesReads()
    {
        var bytes = Enumerable.Range(0, 0x6000).Select(i => (byte)At(i)).ToArray();
        var space = new AddressSpace(ByteSource.FromBytes(bytes),
        [
            Load(1, 0x10000, 0x2000, 0x0), Load(2, 0x12000, 0x1000, 0x3000), // adjacent, from other file offsets
            Load(3, 0x13800, 0x1800, 0x2000),                                 // starts inside a page, after a gap
            Load(4, 0x20000, 0x3000, 0x4000),                                 // the file ends 0x2000 into it
        ]);
        var reads = Gen.Select(Gen.ULong[0xFF00, 0x23100], Gen.Int[1, 24]).Array[1, 60];
        Gen.Select(reads, Gen.OneOf(Gen.Const(4096), Gen.Const(8192)), Gen.Bool).Sample((list, size, upward) =>
        {
            var window = new MemoryWindow(space, size, upward);
            foreach (var (address, length) in list)
            {
                byte[] expected = new byte[length], actual = new byte[length];
                int n = space.Read(address, expected);
                Assert.Equal(n, window.Read(address, actual));
                Assert.Equal(expected[..n], actual[..n]);
                Assert.Equal(space.TryReadUInt64(address, out ulong a), window.TryReadUInt64(address, out ulong b));
                Assert.Equal(a, b);
                Assert.Equal(space.TryReadUInt32(address, out uint c), window.TryReadUInt32(address, out uint d));
                Assert.Equal(c, d);
            }
        });
    }

    [Fact]
    public void ReadsCrossAdjacentSegmentsButStopAtGaps()
    {
        var space = new AddressSpace(File(0x3000), [Load(1, 0x1000, 0x1000, 0x0), Load(2, 0x2000, 0x1000, 0x2000), Load(3, 0x4000, 0x100, 0x1000)]);
        var buffer = new byte[32];
        Assert.Equal(32, space.Read(0x1FF0, buffer));
        Assert.Equal(At(0xFF0), buffer[0]);
        Assert.Equal(At(0xFFF), buffer[15]);
        Assert.Equal(At(0x2000), buffer[16]); // the next segment's bytes come from its own file offset
        Assert.True(space.TryReadUInt64(0x1FFC, out ulong straddling));
        Assert.Equal(BitConverter.ToUInt64([At(0xFFC), At(0xFFD), At(0xFFE), At(0xFFF), At(0x2000), At(0x2001), At(0x2002), At(0x2003)]), straddling);

        Assert.Equal(16, space.Read(0x2FF0, buffer)); // 0x3000–0x4000 is a gap
        Assert.False(space.TryRead(0x2FF0, buffer));
        Assert.Equal(Unavailability.NotInCore, space.Check(0x3000));
        Assert.Equal(0, space.Read(0x3800, buffer));
        Assert.Contains("not in the core", space.Explain(0x3800));
        Assert.Null(space.Explain(0x4000));
        Assert.Empty(space.Warnings);
    }

    [Fact]
    public void ReadingWithoutTheMapGivesTheMappedBytesUpToTheSegmentEndOrTheEndOfTheFile()
    {
        // The same bytes from a real (memory-mapped) file, read with a system call.
        var bytes = Enumerable.Range(0, 0x2800).Select(i => (byte)At(i)).ToArray();
        string path = Path.GetTempFileName();
        try
        {
            System.IO.File.WriteAllBytes(path, bytes);
            using var file = ByteSource.OpenFile(path);
            // The second segment claims 0x1000 bytes from 0x2000, but the file ends at 0x2800.
            var space = new AddressSpace(file, [Load(1, 0x1000, 0x1000, 0x0), Load(2, 0x2000, 0x1000, 0x2000)]);
            var buffer = new byte[0x2000];
            Assert.Equal(0x10, space.ReadWithoutMapping(0x1FF0, buffer)); // stops at the segment's end, unlike Read
            Assert.Equal(space.GetSpan(0x1FF0, 0x10).ToArray(), buffer[..0x10]);
            Assert.Equal(0x800, space.ReadWithoutMapping(0x2000, buffer)); // cut by the end of the file
            Assert.Equal(bytes[0x2000..], buffer[..0x800]);
            Assert.Equal(0, space.ReadWithoutMapping(0x2800, buffer));
            Assert.Equal(0, space.ReadWithoutMapping(0x5000, buffer)); // in no segment
            // What a read would get, known without reading.
            Assert.Equal(0x10, space.AvailableWithoutMapping(0x1FF0, buffer.Length));
            Assert.Equal(0x800, space.AvailableWithoutMapping(0x2000, buffer.Length));
            Assert.Equal(0x100, space.AvailableWithoutMapping(0x2000, 0x100));
            Assert.Equal(0, space.AvailableWithoutMapping(0x2800, buffer.Length));
            Assert.Equal(0, space.AvailableWithoutMapping(0x5000, buffer.Length));
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public void OverlappingSegmentsResolveEveryAddressToOneSegment()
    {
        var space = new AddressSpace(File(0x10000),
        [
            Load(1, 0x1000, 0x2000, 0x0000),  // [0x1000, 0x3000)
            Load(2, 0x2000, 0x2000, 0x4000),  // [0x2000, 0x4000): overlaps the first
            Load(3, 0x1800, 0x0100, 0x8000),  // inside the first: dropped
            Load(4, 0x4000, 0x1000, 0x9000),  // adjacent to the second
        ]);
        Assert.Equal(2, space.Warnings.Count);
        Assert.All(space.Warnings, w => Assert.Contains("overlaps", w));
        var segments = space.Segments;
        for (int i = 1; i < segments.Count; i++) Assert.True(segments[i - 1].End <= segments[i].Start);

        byte One(ulong address) { var b = new byte[1]; Assert.Equal(1, space.Read(address, b)); return b[0]; }
        Assert.Equal(At(0x0800), One(0x1800));         // the lower segment keeps the overlap
        Assert.Equal(At(0x1800), One(0x2800));
        Assert.Equal(At(0x4000 + 0x1000), One(0x3000)); // the second continues where the first ends
        Assert.Equal(At(0x4000 + 0x1FFF), One(0x3FFF));
        Assert.Equal(At(0x9000), One(0x4000));
        Assert.Equal(4, space.FindSegment(0x4800)!.ProgramHeaderIndex);
    }

    /// <summary>Two segments at one address: the one of the lower program header keeps it, whichever comes first in the list given.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SegmentsAtOneAddressResolveToTheLowerProgramHeader(bool lowerFirst)
    {
        ProgramHeader[] loads = [Load(2, 0x1000, 0x2000, 0x4000), Load(5, 0x1000, 0x1000, 0x0000)];
        var space = new AddressSpace(File(0x10000), lowerFirst ? loads : [.. loads.Reverse()]);
        Assert.Single(space.Warnings);
        Assert.Equal(2, space.FindSegment(0x1800)!.ProgramHeaderIndex);
        var b = new byte[1];
        Assert.Equal(1, space.Read(0x1800, b));
        Assert.Equal(At(0x4800), b[0]);
    }

    [Fact]
    public void FileImageShorterThanMemoryIsUnavailableNotZero()
    {
        var space = new AddressSpace(File(0x2000), [Load(1, 0x10000, 0x1000, 0x100, filesz: 0x10)]);
        var buffer = new byte[32];
        Assert.Equal(16, space.Read(0x10000, buffer));
        Assert.Equal(Unavailability.NotInFileImage, space.Check(0x10010));
        Assert.Equal(CoreStringStatus.Unavailable, space.ReadCString(0x10010).Status);
    }

    [Fact]
    public void SegmentsPastTheEndOfTheFileAreUnavailable()
    {
        var space = new AddressSpace(File(0x1800), [Load(1, 0x1000, 0x1000, 0x1000), Load(2, 0x2000, 0x1000, 0x4000), Load(3, 0x3000, 0x10, long.MaxValue - 4)]);
        Assert.Equal(Unavailability.None, space.Check(0x17FF));
        Assert.Equal(Unavailability.PastEndOfFile, space.Check(0x1800));
        Assert.Equal(Unavailability.PastEndOfFile, space.Check(0x2000));
        Assert.Equal(Unavailability.PastEndOfFile, space.Check(0x3008)); // file offset beyond 2^63
        var buffer = new byte[0x1000];
        Assert.Equal(0x800, space.Read(0x1000, buffer));
        Assert.Equal(0, space.Read(0x2000, buffer));
        Assert.Equal(0, space.Read(0x3008, buffer));
        Assert.Contains("past the end of the file", space.Explain(0x2000));
    }

    [Fact]
    public void TheTopOfTheAddressSpaceDoesNotWrap()
    {
        const ulong top = 0xFFFF_FFFF_FFFF_F000;
        var space = new AddressSpace(File(0x3000), [Load(1, top, 0x1000, 0x1000), Load(2, 0x0, 0x1000, 0x0)]);
        Assert.Contains(space.Warnings, w => w.Contains("top of the address space", StringComparison.Ordinal));
        var buffer = new byte[64];
        // 2^64 itself is not addressable: the read stops at 0xffff_ffff_ffff_fffe, never wraps to 0.
        Assert.Equal(15, space.Read(0xFFFF_FFFF_FFFF_FFF0, buffer));
        Assert.Equal(At(0x1FF0), buffer[0]);
        Assert.Equal(At(0x1FFE), buffer[14]);
        Assert.False(space.TryReadUInt64(0xFFFF_FFFF_FFFF_FFFC, out _));
        Assert.Equal(0, space.Read(ulong.MaxValue, buffer));
        Assert.Equal(2, space.FindSegment(0)!.ProgramHeaderIndex);
        var s = space.ReadCString(0xFFFF_FFFF_FFFF_FFF8, 100);
        Assert.True(s.Status is CoreStringStatus.CutShort or CoreStringStatus.Complete);
        Assert.True(s.Bytes.Length <= 7);
    }

    [Fact]
    public void MemorySizeRunningPast2To64IsClipped()
    {
        const ulong start = 0x8000_0000_0000_0000;
        var space = new AddressSpace(File(0x3000), [Load(3, start, ulong.MaxValue, 0x2000, filesz: 0x10)]);
        Assert.Contains(space.Warnings, w => w.Contains("top of the address space", StringComparison.Ordinal));
        var segment = Assert.Single(space.Segments);
        Assert.Equal(ulong.MaxValue, segment.End);
        Assert.Equal(Unavailability.None, space.Check(start + 0xF));
        Assert.Equal(Unavailability.NotInFileImage, space.Check(start + 0x10));
        Assert.Equal(Unavailability.NotInFileImage, space.Check(ulong.MaxValue - 1));
        Assert.Equal(Unavailability.NotInCore, space.Check(start - 1));
    }

    [Fact]
    public void CStringStatuses()
    {
        var bytes = new byte[0x400];
        "hello\0"u8.CopyTo(bytes.AsSpan(0x10));
        bytes.AsSpan(0x100, 0x100).Fill((byte)'x');             // no NUL up to the segment end at 0x200
        "tail"u8.CopyTo(bytes.AsSpan(0x1FC));
        var file = ByteSource.FromBytes(bytes);
        var space = new AddressSpace(file, [Load(1, 0x1000, 0x200, 0x0), Load(2, 0x5000, 0x100, 0x300)]);

        var complete = space.ReadCString(0x1010);
        Assert.Equal(CoreStringStatus.Complete, complete.Status);
        Assert.Equal("hello", complete.Text);
        Assert.Null(complete.Reason);

        var truncated = space.ReadCString(0x1100, 16);
        Assert.Equal(CoreStringStatus.Truncated, truncated.Status);
        Assert.Equal(new string('x', 16), truncated.Text);

        var cut = space.ReadCString(0x11FC);
        Assert.Equal(CoreStringStatus.CutShort, cut.Status);
        Assert.Equal("tail", cut.Text);
        Assert.Contains("0x1200", cut.Reason);

        var none = space.ReadCString(0x9000);
        Assert.Equal(CoreStringStatus.Unavailable, none.Status);
        Assert.False(none.IsAvailable);
        Assert.Empty(none.Bytes);
        Assert.Contains("not in the core", none.Reason);
    }

    [Fact]
    public void FindSegmentAgreesWithALinearScan()
    {
        // Random disjoint segments in random table order: binary search must find what a scan finds.
        var gen = Gen.Select(Gen.Int[1, 40], Gen.UInt[0, 1000].Array[80], Gen.ULong.Array[200]);
        gen.Sample((count, gaps, probes) =>
        {
            var headers = new List<ProgramHeader>();
            ulong at = 0x1000;
            for (int i = 0; i < count; i++)
            {
                ulong size = 1 + gaps[2 * i] * 16UL, gap = gaps[2 * i + 1] % 3 == 0 ? 0 : gaps[2 * i + 1] * 16UL;
                headers.Add(Load(i, at, size, (ulong)i * 0x100));
                at += size + gap;
            }
            var shuffled = headers.OrderBy(h => (h.Index * 7919) % 41).ToList();
            var space = new AddressSpace(File(0x10000), shuffled);
            Assert.Empty(space.Warnings);
            foreach (var raw in probes)
            {
                ulong probe = 0x1000 + raw % (at - 0x1000 + 64);
                var expected = headers.FirstOrDefault(h => probe >= h.VirtualAddress && probe < h.VirtualAddress + h.MemorySize);
                Assert.Equal(expected?.Index, space.FindSegment(probe)?.ProgramHeaderIndex);
            }
        }, iter: 300);
    }
}

using CoreSleuth.Analysis.Unwind;
using CoreSleuth.Elf;
using CoreSleuth.Memory;
using CsCheck;

namespace CoreSleuth.Tests.Unwind;

/// <summary>The unwinder's memory, which reads through a window of the file, reads what the address space reads.</summary>
public sealed class StackMemoryTests
{
    private static ProgramHeader Load(int index, ulong vaddr, ulong size, ulong offset, ulong filesz) =>
        new(index, ElfConstants.PT_LOAD, 6, offset, vaddr, 0, filesz, size, 4096);

    // Adjacent segments (the second only partly in the file), a gap, a segment that starts inside a
    // page, one larger than the window, and one that runs past the end of the file.
    private static AddressSpace Space() => new(
        ByteSource.FromBytes(Enumerable.Range(0, 0xA000).Select(i => (byte)(i * 7 + 3)).ToArray()),
        [
            Load(1, 0x1000, 0x1000, 0x0, 0x1000),
            Load(2, 0x2000, 0x1000, 0x2000, 0x800),
            Load(3, 0x4100, 0x100, 0x1000, 0x100),
            Load(4, 0x10000, 0x6000, 0x3000, 0x6000),
            Load(5, 0x20000, 0x2000, 0x9800, 0x2000),
        ]);

    [Fact]
    public void Any_sequence_of_reads_gives_the_address_spaces_bytes_and_counts()
    {
        Gen.Select(Gen.OneOf(Gen.ULong[0x0, 0x23000], Gen.ULong[0xFF8, 0x1008], Gen.ULong[0x1FF8, 0x2808], Gen.ULong[0x40F8, 0x4208], Gen.ULong[0x15FF0, 0x16008]),
                Gen.OneOf(Gen.Int[0, 16], Gen.Int[0, 0x3000]))
            .Array[1, 40]
            .Sample(reads =>
            {
                var space = Space();
                var memory = new AddressSpaceStackMemory(space);
                foreach (var (address, length) in reads)
                {
                    var expected = new byte[length];
                    var actual = new byte[length];
                    int n = space.Read(address, expected);
                    Assert.Equal(n, memory.Read(address, actual));
                    Assert.Equal(expected[..n], actual[..n]);
                }
            });
    }

    [Fact]
    public void A_word_across_adjacent_segments_and_words_at_the_ends_of_the_file_read_as_the_address_space_reads_them()
    {
        var space = Space();
        var memory = new AddressSpaceStackMemory(space);
        foreach (ulong address in (ulong[])[0x1FFC, 0x27FC, 0x27FE, 0x2800, 0x40FF, 0x4100, 0x41FC, 0x15FFC, 0x20000, 0x207FC, 0x20800, 0x0])
        {
            bool expected = space.TryReadUInt64(address, out ulong value);
            Assert.Equal(expected, memory.TryReadUInt64(address, out ulong actual));
            Assert.Equal(value, actual);
        }
        Assert.True(memory.TryReadUInt64(0x1FFC, out _)); // crosses from one segment into the next
        Assert.False(memory.TryReadUInt64(0x27FC, out _)); // the rest of segment 2 is not in the file
        Assert.False(memory.TryReadUInt64(0x207FC, out _)); // the file ends at 0xA000
    }
}

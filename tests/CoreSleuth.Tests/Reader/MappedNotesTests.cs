using CoreSleuth.Elf;
using CoreSleuth.Model;
using CoreSleuth.Tests.Samples;
using CoreSleuth.Tests.Writer;

namespace CoreSleuth.Tests.Reader;

/// <summary>Note descriptors of a mapped core are views of the mapping, not copies: same bytes, and no reading after the core is closed.</summary>
public sealed class MappedNotesTests
{
    [Fact]
    public void DescriptorsOfAMappedFileAreItsBytesAtTheirOffsets()
    {
        var bytes = CoreImage.Sample().Build();
        using var file = new TempFile(bytes);
        using var source = ByteSource.OpenFile(file.Path);
        var elf = ElfFile.Parse(source);
        Assert.NotEmpty(elf.Notes);
        foreach (var note in elf.Notes)
            Assert.Equal(bytes.AsSpan((int)note.DescriptorFileOffset, note.Descriptor.Length).ToArray(), note.Descriptor.ToArray());
        // The same notes as from a copy of the file in memory.
        var fromArray = ElfFile.Parse(ByteSource.FromBytes(bytes)).Notes;
        Assert.Equal(fromArray.Select(n => (n.Name, n.Type, n.FileOffset, n.Descriptor.ToArray())), elf.Notes.Select(n => (n.Name, n.Type, n.FileOffset, n.Descriptor.ToArray())));
    }

    [Fact]
    public void ReadingADescriptorAfterTheCoreIsClosedThrowsInsteadOfTouchingTheUnmappedFile()
    {
        using var file = new TempFile(CoreImage.Sample().Build());
        var core = CoreFile.Open(file.Path);
        var thread = core.Threads[0];
        var note = core.Elf.Notes[0];
        core.Dispose();
        Assert.Throws<ObjectDisposedException>(() => note.Descriptor.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => thread.FpState);
    }

    /// <summary>
    /// A thousand threads' notes (3 MB) are read into memory of the source's own where huge pages
    /// can be had (Linux with THP "always" or "madvise"), and mapped elsewhere: either way every
    /// descriptor holds the file's bytes at its offset, the threads decode as from an in-memory
    /// copy of the file, and nothing is readable once the core is closed.
    /// </summary>
    [Fact]
    public void LargeNotesReadIntoMemoryAreTheFilesBytes()
    {
        var bytes = SampleSet.ThousandThreads.Core;
        using var file = new TempFile(bytes);
        var core = CoreFile.Open(file.Path);
        long noteBytes = core.Elf.ProgramHeaders.Where(p => p.IsNote).Sum(p => (long)p.FileSize);
        Assert.True(noteBytes > 2 << 20, $"{noteBytes} note bytes: too few to be read in by two threads");
        if (HugePagesWhenAdvised)
            Assert.Equal(noteBytes, core.Source.CopiedBytes);
        foreach (var note in core.Elf.Notes)
            Assert.True(bytes.AsSpan((int)note.DescriptorFileOffset, note.Descriptor.Length).SequenceEqual(note.Descriptor.Span), $"note {note.Index}");

        using (var fromArray = CoreFile.Load(ByteSource.FromBytes(bytes, file.Path)))
        {
            Assert.Equal(fromArray.Threads.Count, core.Threads.Count);
            for (int i = 0; i < core.Threads.Count; i++)
            {
                var (a, b) = (fromArray.Threads[i], core.Threads[i]);
                Assert.Equal((a.Lwp, a.Name, a.WaitMessage, a.Registers), (b.Lwp, b.Name, b.WaitMessage, b.Registers));
                Assert.Equal(a.FpRegSet?.ToArray(), b.FpRegSet?.ToArray());
                Assert.Equal(a.XSaveArea?.ToArray(), b.XSaveArea?.ToArray());
            }
        }
        var thread = core.Threads[^1];
        var last = core.Elf.Notes[^1];
        core.Dispose();
        Assert.Throws<ObjectDisposedException>(() => last.Descriptor.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => thread.FpState);
    }

    /// <summary>
    /// The notes of a thousand threads (5,000 notes, over several of the note list's blocks) are
    /// those binutils readelf lists: owner, type and size of each in file order, and the bytes of
    /// those whose descriptor it prints.
    /// </summary>
    [ReadelfFact]
    public void TheNotesOfAThousandThreadsAreThoseReadelfLists()
    {
        using var file = new TempFile(SampleSet.ThousandThreads.Core);
        var referee = ReadelfOutput.Notes(file.Path);
        using var core = CoreFile.Open(file.Path);
        var notes = core.Elf.Notes;
        Assert.True(notes.Count > 2 << ElfNoteList.BlockShift, $"{notes.Count} notes fill fewer than three blocks");
        Assert.Equal(referee.Select(n => (n.Owner, n.TypeName, n.DataSize)), notes.Select(n => (n.Name, FreeBsd.NoteType.Name(n.Type), n.Descriptor.Length)));
        for (int i = 0; i < notes.Count; i++)
            if (referee[i].Data is { } data)
                Assert.True(data.AsSpan().SequenceEqual(notes[i].Descriptor.Span), $"note {i}");
    }

    /// <summary>
    /// A core cut inside its notes: what is left of them is read in up to the end of the file (by
    /// one thread below 2 MiB, a third of the notes; by two from there on, four fifths), and the
    /// threads, warnings and completeness are those of the same bytes held in memory.
    /// </summary>
    [Theory]
    [InlineData(1, 3)]
    [InlineData(4, 5)]
    public void LargeNotesCutByTheEndOfTheFileDecodeAsTheSameBytesInMemory(int numerator, int denominator)
    {
        var whole = SampleSet.ThousandThreads.Core;
        var notes = ElfFile.Parse(ByteSource.FromBytes(whole)).ProgramHeaders.Single(p => p.IsNote);
        var bytes = whole[..(int)(notes.Offset + notes.FileSize * (ulong)numerator / (ulong)denominator)];
        using var file = new TempFile(bytes);
        using var core = CoreFile.Open(file.Path);
        if (HugePagesWhenAdvised)
            Assert.Equal(bytes.Length - (long)notes.Offset, core.Source.CopiedBytes);
        using var fromArray = CoreFile.Load(ByteSource.FromBytes(bytes, file.Path));
        Assert.True(core.Elf.NotesTruncated);
        Assert.Equal(fromArray.Warnings, core.Warnings);
        Assert.Equal(fromArray.Completeness.ThreadsRead, core.Completeness.ThreadsRead);
        Assert.Equal(fromArray.Completeness.NotesCutAt, core.Completeness.NotesCutAt);
        Assert.Equal(fromArray.Threads.Select(t => (t.Lwp, t.Name, t.WaitMessage, t.Registers.Rip)), core.Threads.Select(t => (t.Lwp, t.Name, t.WaitMessage, t.Registers.Rip)));
        Assert.InRange(core.Threads.Count, 1, 1000); // four fifths keep every thread and cut the process notes after them
    }

    private static bool HugePagesWhenAdvised =>
        OperatingSystem.IsLinux() && File.Exists("/sys/kernel/mm/transparent_hugepage/enabled") &&
        File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled") is var mode && (mode.Contains("[always]") || mode.Contains("[madvise]"));

    [Fact]
    public void MemoryPastTheEndIsShortOrEmpty()
    {
        using var file = new TempFile([1, 2, 3, 4, 5]);
        using var source = ByteSource.OpenFile(file.Path);
        Assert.Equal(new byte[] { 4, 5 }, source.Memory(3, 10).ToArray());
        Assert.True(source.Memory(5, 1).IsEmpty);
        Assert.True(source.Memory(-1, 1).IsEmpty);
    }

    private sealed class TempFile : IDisposable
    {
        public TempFile(byte[] bytes)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"coresleuth-{Guid.NewGuid():N}.core");
            File.WriteAllBytes(Path, bytes);
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }
}

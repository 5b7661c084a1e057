using CoreSleuth.Elf;
using CoreSleuth.Model;

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

using System.Text.RegularExpressions;
using CoreSleuth.Elf;
using CoreSleuth.Model;
using CoreSleuth.Tests.Support;

namespace CoreSleuth.Tests.Reader;

/// <summary>
/// Files CoreSleuth does not read are refused with the right exception and one sentence that
/// says what the file is and what CoreSleuth reads.
/// </summary>
public sealed class RefusalTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("coresleuth-refusal-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static void AssertOneSentence(string message, params string[] mustSay)
    {
        Assert.Single(Regex.Matches(message, @"[.!?](\s|$)"));
        Assert.EndsWith(".", message);
        Assert.Contains("CoreSleuth reads", message);
        foreach (var phrase in mustSay) Assert.Contains(phrase, message);
    }

    [CorpusFact]
    public void I386CoreIsRefusedAsThirtyTwoBit()
    {
        string path = Corpus.Core("lldb-i386-freebsd13.core");
        var e = Assert.Throws<UnsupportedCoreException>(() => CoreFile.Open(path));
        AssertOneSentence(e.Message, path, "core file", "i386", "32-bit", "amd64");
    }

    [CorpusFact]
    public void Arm64CoreIsRefusedForItsMachine()
    {
        string path = Corpus.Core("lldb-aarch64-freebsd14-multithread.core");
        var e = Assert.Throws<UnsupportedCoreException>(() => CoreFile.Open(path));
        AssertOneSentence(e.Message, path, "FreeBSD core file", "arm64", "amd64");
    }

    [CorpusFact]
    public void SharedLibraryIsNotACoreFile()
    {
        string path = Corpus.Binary("freebsd13.5/libc.so.7");
        var e = Assert.Throws<UnsupportedCoreException>(() => CoreFile.Open(path));
        AssertOneSentence(e.Message, path, "not a core file", "shared object", "x86-64");
    }

    [CorpusFact]
    public void ExecutableWithoutSectionHeadersIsNotACoreFile()
    {
        string path = Corpus.Binary("other/freebsd9.2-no-section-headers");
        var e = Assert.Throws<UnsupportedCoreException>(() => CoreFile.Open(path));
        AssertOneSentence(e.Message, path, "not a core file", "executable");
    }

    [Fact]
    public void CoreNotesOfTheWrongSizeWithoutOtherLinuxNotesAreRefusedAsLinux()
    {
        // ELF64 ET_CORE, OS/ABI 0, "CORE" notes that fit neither system: a 224-byte NT_PRSTATUS is
        // FreeBSD's size, but nothing says FreeBSD, and nothing only Linux writes is there.
        var image = new CoreImage { OsAbi = 0 }.Note(1, new byte[224], name: "CORE").Note(3, new byte[136], name: "CORE").Build();
        string path = Write("linux.core", image);
        var e = Assert.Throws<UnsupportedCoreException>(() => CoreFile.Open(path));
        AssertOneSentence(e.Message, path, "Linux core file");
    }

    [Fact]
    public void CoreOfAnotherSystemWithoutFreeBsdNotesIsRefused()
    {
        var image = new CoreImage { OsAbi = 6 }.Note(1, new byte[224], name: "Solaris").Build();
        var e = Assert.Throws<UnsupportedCoreException>(() => CoreFile.Load(ByteSource.FromBytes(image, "other.core")));
        AssertOneSentence(e.Message, "other.core", "a Solaris core file", "EI_OSABI 6 (ELFOSABI_SOLARIS)", "notes owned by \"Solaris\"", "none owned by \"FreeBSD\"");
    }

    /// <summary>
    /// Crafted x86-64 cores of other BSDs and QNX: the message names EI_OSABI with its gABI name and
    /// the owners of the notes, so the user knows what they gave (never "System V/Linux (0)").
    /// </summary>
    [Theory]
    [InlineData((byte)12, "OpenBSD", "an OpenBSD core file", "EI_OSABI 12 (ELFOSABI_OPENBSD)")]
    [InlineData((byte)0, "OpenBSD", "an OpenBSD core file", "EI_OSABI 0 (ELFOSABI_NONE")]
    [InlineData((byte)0, "NetBSD-CORE", "a NetBSD core file", "EI_OSABI 0 (ELFOSABI_NONE")]
    [InlineData((byte)2, "NetBSD-CORE", "a NetBSD core file", "EI_OSABI 2 (ELFOSABI_NETBSD)")]
    [InlineData((byte)0, "QNX", "a QNX core file", "EI_OSABI 0 (ELFOSABI_NONE")]
    [InlineData((byte)0, "Xyzzy", "another system than FreeBSD", "EI_OSABI 0 (ELFOSABI_NONE")]
    [InlineData((byte)77, "Xyzzy", "another system than FreeBSD", "EI_OSABI 77 (unassigned)")]
    public void CoreOfAnotherSystemIsRefusedNamingItsOsAbiAndNoteOwners(byte osAbi, string owner, string what, string osAbiText)
    {
        var image = new CoreImage { OsAbi = osAbi }.Note(1, new byte[224], name: owner).Note(3, new byte[120], name: owner).Build();
        var e = Assert.Throws<UnsupportedCoreException>(() => CoreFile.Load(ByteSource.FromBytes(image, "bsd.core")));
        AssertOneSentence(e.Message, "bsd.core", what, osAbiText, $"notes owned by \"{owner}\"", "none owned by \"FreeBSD\"");
        Assert.DoesNotContain("System V/Linux", e.Message);
    }

    [Fact]
    public void NonElfFileIsRefused()
    {
        string path = Write("script.sh", "#!/bin/sh\necho hello\n"u8.ToArray());
        var e = Assert.Throws<UnsupportedCoreException>(() => CoreFile.Open(path));
        AssertOneSentence(e.Message, path, "not an ELF file", "23 21 2f 62");
    }

    [Fact]
    public void CompressedCoreWithoutDataIsRefusedSayingSo()
    {
        // A compressed core is decompressed (CompressedCoreTests); a gzip header alone holds nothing.
        string path = Write("core.gz", [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0, 3]);
        var e = Assert.Throws<CoreSleuth.Input.CompressedCoreException>(() => CoreFile.Open(path));
        Assert.Contains("gzip", e.Message);
    }

    [Fact]
    public void EmptyFileIsAFormatError()
    {
        string path = Write("empty.core", []);
        var e = Assert.Throws<CoreFormatException>(() => CoreFile.Open(path));
        Assert.Equal(0, e.FileOffset);
        AssertOneSentence(e.Message, "empty");
    }

    [Fact]
    public void BigEndianElfIsRefused()
    {
        var image = new CoreImage { Data = 2 }.Build();
        var e = Assert.Throws<UnsupportedCoreException>(() => CoreFile.Load(ByteSource.FromBytes(image, "be.core")));
        AssertOneSentence(e.Message, "be.core", "big-endian");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(17)]
    public void InvalidElfClassIsAFormatError(byte elfClass)
    {
        var image = new CoreImage { Class = elfClass }.Build();
        var e = Assert.Throws<CoreFormatException>(() => CoreFile.Load(ByteSource.FromBytes(image)));
        Assert.Equal(4, e.FileOffset);
        AssertOneSentence(e.Message, "EI_CLASS");
    }

    [Fact]
    public void WellFormedSampleIsAccepted()
    {
        using var core = CoreFile.Load(ByteSource.FromBytes(CoreImage.Sample().Build(), "sample.core"));
        Assert.Equal(2, core.Threads.Count);
        Assert.Empty(core.Warnings);
    }
}

using System.Buffers.Binary;
using CoreSleuth.Elf;
using CoreSleuth.Model;
using CoreSleuth.Tests.Reader;

namespace CoreSleuth.Tests.Linux;

/// <summary>The system of a core is told from its notes and EI_OSABI; a Linux core is read into the same model.</summary>
public sealed class CoreOsDetectionTests
{
    private static CoreFile Load(CoreImage image) => CoreFile.Load(ByteSource.FromBytes(image.Build(), "test.core"));

    /// <summary>A 336-byte x86-64 elf_prstatus with pr_pid at 32 and pr_reg at 112 (rip at 112+128, orig_rax at 112+120, fs_base at 112+168).</summary>
    internal static byte[] PrStatus(int lwp, ulong rip = 0x401000, ulong origRax = ulong.MaxValue, ulong fsBase = 0, short cursig = 0)
    {
        var d = new byte[336];
        BinaryPrimitives.WriteInt16LittleEndian(d.AsSpan(12), cursig);
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(32), lwp);
        BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(112 + 120), origRax);
        BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(112 + 128), rip);
        BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(112 + 168), fsBase);
        return d;
    }

    [Fact]
    public void LinuxPrStatusNotesMakeALinuxCore()
    {
        using var core = Load(new CoreImage { OsAbi = 0 }.Note(1, PrStatus(4242, rip: 0x7f00_0000_1234, fsBase: 0x7f00_0001_0000), name: "CORE")
            .Note(1, PrStatus(4243), name: "CORE").Note(3, new byte[136], name: "CORE"));
        Assert.Equal(CoreOs.Linux, core.Os);
        Assert.Equal(CoreOs.Linux, core.Process.Os);
        Assert.Equal([4242, 4243], core.Threads.Select(t => t.Lwp));
        Assert.Equal(0x7f00_0000_1234UL, core.Threads[0].Registers.Rip);
        Assert.Equal(0x7f00_0001_0000UL, core.Threads[0].Linux!.Registers.FsBase);
        Assert.Equal(ulong.MaxValue, core.Threads[1].Linux!.Registers.OrigRax);
    }

    [Fact]
    public void ALinuxOwnedNoteMakesALinuxCoreWhateverThePrStatusSize()
    {
        var elf = ElfFile.Parse(ByteSource.FromBytes(new CoreImage { OsAbi = 0 }.Note(1, new byte[224], name: "CORE").Note(0x202, new byte[832], name: "LINUX").Build(), "x.core"));
        Assert.Equal(CoreOs.Linux, CoreOsDetection.Detect(elf, out string evidence));
        Assert.Contains("LINUX", evidence);
    }

    [Fact]
    public void FreeBsdNotesWinOverEverything()
    {
        var elf = ElfFile.Parse(ByteSource.FromBytes(new CoreImage { OsAbi = 0 }.Note(1, new byte[336], name: "CORE").Note(3, new byte[120]).Build(), "x.core"));
        Assert.Equal(CoreOs.FreeBsd, CoreOsDetection.Detect(elf, out _));
    }

    [Fact]
    public void GdbCoresOfFreeBsdStayFreeBsd()
    {
        // gdb names its notes "CORE" on FreeBSD too; EI_OSABI FreeBSD says which system.
        var elf = ElfFile.Parse(ByteSource.FromBytes(new CoreImage { OsAbi = 9 }.Note(1, new byte[224], name: "CORE").Build(), "x.core"));
        Assert.Equal(CoreOs.FreeBsd, CoreOsDetection.Detect(elf, out _));
    }

    [Theory]
    [InlineData((byte)6)]
    [InlineData((byte)12)]
    public void OtherSystemsAreNeither(byte osAbi)
    {
        var elf = ElfFile.Parse(ByteSource.FromBytes(new CoreImage { OsAbi = osAbi }.Note(1, new byte[336], name: "CORE").Note(0x202, new byte[8], name: "LINUX").Build(), "x.core"));
        Assert.Null(CoreOsDetection.Detect(elf, out _));
    }

    [Fact]
    public void AnotherArchitectureIsRefusedEvenWithLinuxNotes()
    {
        var image = new CoreImage { OsAbi = 0, Machine = 183 }.Note(1, PrStatus(1), name: "CORE").Note(0x46494c45, new byte[16], name: "CORE");
        var e = Assert.Throws<UnsupportedCoreException>(() => Load(image));
        Assert.Contains("arm64 (EM_AARCH64)", e.Message);
    }
}

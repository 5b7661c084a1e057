using CoreSleuth.Analysis;
using CoreSleuth.FreeBsd;
using CoreSleuth.Linux;
using CoreSleuth.Model;

namespace CoreSleuth.Tests.Reader;

/// <summary>
/// The auxv types are each system's own past AT_EGID: one number, two names. Expectations from
/// FreeBSD's sys/sys/elf_common.h and Linux's include/uapi/linux/auxvec.h.
/// </summary>
public sealed class AuxvCatalogueTests
{
    [Theory]
    [InlineData(3L, "AT_PHDR", "AT_PHDR")]
    [InlineData(9L, "AT_ENTRY", "AT_ENTRY")]
    [InlineData(15L, "AT_EXECPATH", "AT_PLATFORM")]
    [InlineData(16L, "AT_CANARY", "AT_HWCAP")]
    [InlineData(23L, "AT_STACKPROT", "AT_SECURE")]
    [InlineData(25L, "AT_HWCAP", "AT_RANDOM")]
    [InlineData(31L, "AT_ENVV", "AT_EXECFN")]
    [InlineData(33L, "AT_FXRNG", "AT_SYSINFO_EHDR")]
    public void OneNumberIsNamedByEachSystemsHeader(long type, string freeBsd, string linux)
    {
        Assert.Equal(freeBsd, SystemConventions.For(CoreOs.FreeBsd).Auxv.Describe(type).Name);
        Assert.Equal(linux, SystemConventions.For(CoreOs.Linux).Auxv.Describe(type).Name);
    }

    [Fact]
    public void TypesASystemDoesNotDefineAreNumbered()
    {
        // 22 is FreeBSD's AT_TIMEKEEP; on Linux only PowerPC's AT_IGNOREPPC, which x86-64 never writes.
        Assert.Equal("AT_TIMEKEEP", FreeBsdAuxvCatalogue.Instance.Describe(22).Name);
        Assert.Equal(new AuxvType("AT_22", "unknown auxiliary vector entry", AuxvValueFormat.Hex), LinuxAuxvCatalogue.Instance.Describe(22));
        Assert.Equal("AT_51", FreeBsdAuxvCatalogue.Instance.Describe(51).Name);
        Assert.Equal("AT_MINSIGSTKSZ", LinuxAuxvCatalogue.Instance.Describe(51).Name);
    }

    [Fact]
    public void ValueFormatsFollowWhatTheValueIs()
    {
        // A path string, a version number, an address: gdb's info auxv shows them so.
        Assert.Equal(AuxvValueFormat.String, FreeBsdAuxvCatalogue.Instance.Describe(FreeBsdAuxvCatalogue.AT_EXECPATH).Format);
        Assert.Equal(AuxvValueFormat.Decimal, FreeBsdAuxvCatalogue.Instance.Describe(FreeBsdAuxvCatalogue.AT_OSRELDATE).Format);
        Assert.Equal(AuxvValueFormat.Hex, FreeBsdAuxvCatalogue.Instance.Describe(AuxvEntry.AT_ENTRY).Format);
        Assert.Equal(AuxvValueFormat.String, LinuxAuxvCatalogue.Instance.Describe((long)LinuxAuxvEntry.AT_PLATFORM).Format);
        Assert.Equal(AuxvValueFormat.Decimal, LinuxAuxvCatalogue.Instance.Describe((long)LinuxAuxvEntry.AT_PAGESZ).Format);
        Assert.Equal(AuxvValueFormat.Hex, LinuxAuxvCatalogue.Instance.Describe((long)LinuxAuxvEntry.AT_SYSINFO_EHDR).Format);
    }

    [Fact]
    public void OnlyFreeBsdHasAnAuxvEntryInTheSignalTrampolinesPage()
    {
        Assert.Equal(FreeBsdAuxvCatalogue.AT_TIMEKEEP, SystemConventions.For(CoreOs.FreeBsd).Auxv.SharedPageType);
        Assert.Null(SystemConventions.For(CoreOs.Linux).Auxv.SharedPageType);
    }
}

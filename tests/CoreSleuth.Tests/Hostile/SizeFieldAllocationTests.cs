using System.Buffers.Binary;
using CoreSleuth.Testing.Cores;
using CoreSleuth.Testing.Images;

namespace CoreSleuth.Tests.Hostile;

/// <summary>
/// Size fields of the ELF images in a core's memory (spec §9.3: libthr and the others are read
/// from the core when dumped) must not decide how much the reader allocates: p_memsz of
/// PT_GNU_EH_FRAME, p_filesz of the PT_LOAD holding .eh_frame, DT_STRSZ and the symbol count of
/// DT_HASH / DT_GNU_HASH are set to their largest values in every image of the mysqld core, and
/// the analysis must stay within the allocation bound of <see cref="PipelineCheck"/> (64 MiB over
/// the input's size). Before the fix, each claimed size was allocated up front (up to 64 MiB of
/// .eh_frame_hdr per image).
/// </summary>
public sealed class SizeFieldAllocationTests
{
    private static readonly Lazy<byte[]> TextCore = new(() =>
        CoreWriter.WriteToArray(ImageCores.ToCoreSpec(MysqldProcessTemplate.Build(new MysqldScenarioOptions()), fifoPath: "/tmp/ghost.fifo", dumpAllMemory: true)));

    [Theory]
    [InlineData("p_memsz of phdr", "type 0x6474e550", 0xffff_ffffUL)]   // PT_GNU_EH_FRAME
    [InlineData("p_filesz of phdr", "type 0x1)", 0x7fff_ffffUL)]         // the PT_LOADs, .eh_frame's included
    [InlineData("d_val of DT 0xa ", "", 0x7fff_ffffUL)]                  // DT_STRSZ
    [InlineData("nchain/symoffset", "", 0xffff_ffffUL)]                  // DT_HASH nchain, DT_GNU_HASH symoffset
    public void Claimed_sizes_of_images_in_memory_do_not_drive_allocation(string field, string qualifier, ulong value)
    {
        var bytes = (byte[])TextCore.Value.Clone();
        var targets = CoreFields.Parse(bytes).Fields.Where(f => f.Label.StartsWith(field, StringComparison.Ordinal) && f.Label.Contains(qualifier, StringComparison.Ordinal)).ToList();
        Assert.True(targets.Count >= 5, $"only {targets.Count} fields '{field}' found: the images are not in the core");
        var v = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(v, value);
        foreach (var f in targets) v.AsSpan(0, f.Width).CopyTo(bytes.AsSpan(f.Offset));
        // The first run pays for the JIT; the bounds that count are checked on the second.
        PipelineCheck.Run(bytes, bytes.Length, "sizes.core", limits: PipelineLimits.Default with { PerInput = TimeSpan.FromMinutes(5) });
        var outcome = PipelineCheck.Run(bytes, bytes.Length, "sizes.core");
        Assert.Equal(PipelineResult.Analysed, outcome.Result);
    }
}

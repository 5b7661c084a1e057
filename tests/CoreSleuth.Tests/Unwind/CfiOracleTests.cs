using CoreSleuth.Analysis.Unwind;
using Xunit.Abstractions;

namespace CoreSleuth.Tests.Unwind;

/// <summary>CFI rows for real FreeBSD libraries against llvm-dwarfdump's own interpretation.</summary>
public sealed class CfiOracleTests(ITestOutputHelper output)
{
    [CorpusTheory("llvm-dwarfdump")]
    [InlineData("freebsd13.5/libc.so.7", 2000)]
    [InlineData("freebsd13.5/libthr.so.3", 300)]
    [InlineData("freebsd13.5/ld-elf.so.1", 60)]
    [InlineData("freebsd12.0/libc.so.7", 2000)]
    [InlineData("freebsd13.5/libc++.so.1", 1000)]
    [InlineData("freebsd12.0/hello", 5)]
    public void Rows_agree_with_llvm_dwarfdump(string library, int minimumFdes)
    {
        using var file = new UnwindCorpus.OpenedElf(library);
        var eh = file.OpenCfi();
        string dump = UnwindCorpus.Run("llvm-dwarfdump", "--eh-frame", file.Path);
        var oracle = LlvmCfiOracle.Parse(dump);
        Assert.True(oracle.Count >= minimumFdes, $"llvm-dwarfdump listed only {oracle.Count} FDEs");

        int compared = 0;
        var mismatches = new List<string>();
        foreach (var fde in oracle)
        {
            // The first pc of every row, the middle of every row, and the last byte of the FDE.
            var pcs = new SortedSet<ulong> { fde.PcEnd - 1 };
            for (int i = 0; i < fde.Rows.Count; i++)
            {
                ulong start = fde.Rows[i].Address, end = i + 1 < fde.Rows.Count ? fde.Rows[i + 1].Address : fde.PcEnd;
                if (start >= fde.PcEnd) continue;
                pcs.Add(start);
                pcs.Add(start + (end - start) / 2);
            }
            foreach (ulong pc in pcs)
            {
                string? expected = LlvmCfiOracle.RowAt(fde, pc);
                if (expected is null) continue;
                var row = eh.FindRow(pc);
                compared++;
                string actual = row.Value is { } r ? LlvmCfiOracle.Format(r) : $"error: {row.Error}";
                if (row.Value is { } found && found.Fde.Address - eh.Address != fde.SectionOffset)
                    actual += $" (from the FDE at section offset 0x{found.Fde.Address - eh.Address:x}, not 0x{fde.SectionOffset:x})";
                if (actual != expected) mismatches.Add($"0x{pc:x}: expected {expected} got {actual}");
            }
        }
        output.WriteLine($"{library}: {compared} pcs in {oracle.Count} FDEs compared, {mismatches.Count} differ");
        Assert.True(compared >= 3 * minimumFdes, $"only {compared} pcs compared");
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches.Take(20)));
    }
}

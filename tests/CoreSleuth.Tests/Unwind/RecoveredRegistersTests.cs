using CoreSleuth.Analysis.Unwind;

namespace CoreSleuth.Tests.Unwind;

/// <summary>
/// A frame's recovered registers keep a saved-at-CFA slot as its offset from one CFA: what is read
/// back must be what was added, whatever the mix of origins, and the text the reports print.
/// </summary>
public sealed class RecoveredRegistersTests
{
    [Fact]
    public void Every_origin_reads_back_as_it_was_added()
    {
        var added = new (int Register, ulong Value, RegisterOrigin Origin)[]
        {
            (3, 0x5eed_0003, RegisterOrigin.SavedAtCfa(0x7fff_ffff_d0f0, -16)),
            (6, 0x7fff_ffff_d100, RegisterOrigin.SavedAtCfa(0x7fff_ffff_d0f8, -8)),
            (12, 12, "unchanged (no CFI rule)"),
            (13, 13, RegisterOrigin.CfaPlus(24)),
            (14, 14, "context"),
            (15, 15, RegisterOrigin.SavedAtCfa(0x7fff_ffff_d0c0, -64)),
        };
        var saved = new RecoveredRegisters();
        foreach (var (r, v, o) in added) saved.Add(r, v, o);

        Assert.Equal(added.Length, saved.Count);
        for (int i = 0; i < added.Length; i++) Assert.Equal(added[i], saved.Entry(i));
        Assert.Equal(
            ["saved at 0x7fffffffd0f0 (CFA-16)", "saved at 0x7fffffffd0f8 (CFA-8)", "unchanged (no CFI rule)", "CFA+24", "context", "saved at 0x7fffffffd0c0 (CFA-64)"],
            saved.Select(r => r.Source));
        Assert.Equal(["rbx", "rbp", "r12", "r13", "r14", "r15"], saved.Select(r => r.Name));
    }

    [Fact]
    public void Slots_relative_to_another_CFA_keep_their_own_address()
    {
        var saved = new RecoveredRegisters();
        saved.Add(3, 1, RegisterOrigin.SavedAtCfa(0x1000, -8));   // CFA 0x1008
        saved.Add(6, 2, RegisterOrigin.SavedAtCfa(0x2000, -16));  // CFA 0x2010: not the first one's
        Assert.Equal("saved at 0x1000 (CFA-8)", saved[0].Source);
        Assert.Equal("saved at 0x2000 (CFA-16)", saved[1].Source);
    }

    [Fact]
    public void Holds_at_most_the_six_callee_saved_registers()
    {
        var saved = new RecoveredRegisters();
        for (int i = 0; i < RecoveredRegisters.Capacity; i++) saved.Add(i, (ulong)i, "context");
        Assert.Throws<InvalidOperationException>(() => saved.Add(7, 7, "context"));
        Assert.Throws<ArgumentOutOfRangeException>(() => saved.Entry(RecoveredRegisters.Capacity));
    }
}

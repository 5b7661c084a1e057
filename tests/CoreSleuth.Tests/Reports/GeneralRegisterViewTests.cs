using CoreSleuth.Model;
using CoreSleuth.Report;

namespace CoreSleuth.Tests.Reports;

/// <summary>A thread's general registers by name, read through a view of its trapframe rather than a dictionary per thread.</summary>
public sealed class GeneralRegisterViewTests
{
    private static readonly Registers Sample = Registers.Parse(Enumerable.Range(0, Registers.Size).Select(i => (byte)(i * 7 + 1)).ToArray());

    [Fact]
    public void Has_every_general_register_in_gdb_order_with_its_value()
    {
        var view = new GeneralRegisterView(Sample);
        Assert.Equal(24, view.Count);
        Assert.Equal(["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags", "cs", "ss", "ds", "es", "fs", "gs"], view.Keys);
        Assert.Equal(view.Keys, view.Select(kv => kv.Key));
        Assert.Equal(new Hex(Sample.Rip), view["rip"]);
        Assert.Equal(new Hex(Sample.R15), view["r15"]);
        Assert.Equal(new Hex(Sample.Gs), view["gs"]);
        Assert.Equal(view.Values, view.Keys.Select(k => view[k]));
    }

    [Fact]
    public void Every_value_is_the_trapframe_field_of_its_name()
    {
        // Field by field from the record (not through GeneralValue): a wrong index in the view shows here.
        (string, ulong)[] fields =
        [
            ("rax", Sample.Rax), ("rbx", Sample.Rbx), ("rcx", Sample.Rcx), ("rdx", Sample.Rdx), ("rsi", Sample.Rsi), ("rdi", Sample.Rdi),
            ("rbp", Sample.Rbp), ("rsp", Sample.Rsp), ("r8", Sample.R8), ("r9", Sample.R9), ("r10", Sample.R10), ("r11", Sample.R11),
            ("r12", Sample.R12), ("r13", Sample.R13), ("r14", Sample.R14), ("r15", Sample.R15), ("rip", Sample.Rip), ("rflags", Sample.Rflags),
            ("cs", Sample.Cs), ("ss", Sample.Ss), ("ds", Sample.Ds), ("es", Sample.Es), ("fs", Sample.Fs), ("gs", Sample.Gs),
        ];
        Assert.Equal(fields.Select(f => new KeyValuePair<string, Hex>(f.Item1, new Hex(f.Item2))), new GeneralRegisterView(Sample));
        Assert.Equal(fields, Sample.General.Select(r => (r.Name, r.Value)));
        Assert.Equal([new KeyValuePair<string, Hex>("rip", new Hex(Sample.Rip)), new("rsp", new Hex(Sample.Rsp))], GeneralRegisterView.PcAndSp(Sample));
    }

    [Fact]
    public void An_unknown_name_is_absent()
    {
        var view = new GeneralRegisterView(Sample);
        Assert.False(view.ContainsKey("xmm0"));
        Assert.False(view.TryGetValue("RIP", out _)); // names are gdb's, lower case
        Assert.Throws<KeyNotFoundException>(() => view["eax"]);
    }
}

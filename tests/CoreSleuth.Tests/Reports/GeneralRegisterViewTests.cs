using CoreSleuth.Model;
using CoreSleuth.Report;

namespace CoreSleuth.Tests.Reports;

/// <summary>A thread's general registers by name, read through a view of the register list rather than a dictionary per thread.</summary>
public sealed class GeneralRegisterViewTests
{
    private static readonly Registers Sample = Registers.Parse(Enumerable.Range(0, Registers.Size).Select(i => (byte)(i * 7 + 1)).ToArray());

    [Fact]
    public void Has_every_general_register_in_gdb_order_with_its_value()
    {
        var view = new GeneralRegisterView(Sample.General);
        Assert.Equal(24, view.Count);
        Assert.Equal(["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags", "cs", "ss", "ds", "es", "fs", "gs"], view.Keys);
        Assert.Equal(view.Keys, view.Select(kv => kv.Key));
        Assert.Equal(new Hex(Sample.Rip), view["rip"]);
        Assert.Equal(new Hex(Sample.R15), view["r15"]);
        Assert.Equal(new Hex(Sample.Gs), view["gs"]);
        Assert.Equal(view.Values, view.Keys.Select(k => view[k]));
    }

    [Fact]
    public void An_unknown_name_is_absent()
    {
        var view = new GeneralRegisterView(Sample.General);
        Assert.False(view.ContainsKey("xmm0"));
        Assert.False(view.TryGetValue("RIP", out _)); // names are gdb's, lower case
        Assert.Throws<KeyNotFoundException>(() => view["eax"]);
    }
}

using CoreSleuth.Report;

namespace CoreSleuth.Tests.Reports;

/// <summary>Threads grouped by identical backtraces, as pt-pmp groups gdb's: same functions frame by frame.</summary>
public sealed class StackGroupTests
{
    private static ReportFrame Frame(ulong pc, string? symbol, string? module) =>
        new(pc, module, symbol, symbol is null ? null : 4, "cfi") { ModuleOffset = module is null ? null : new Hex(pc - 0x100) };

    private static ReportThread Thread(int lwp, params ReportFrame[] frames) =>
        new(lwp - 100000, lwp, null, null, null, null, new Dictionary<string, Hex>(), null, frames);

    [Fact]
    public void Same_functions_at_different_pcs_group_together_most_common_first()
    {
        var poll = new[] { Frame(0x1000, "_poll", "libc.so.7"), Frame(0x2000, null, "libthr.so.3"), Frame(0x3000, "do_command(THD*)", "mysqld") };
        var pollElsewhere = new[] { Frame(0x1004, "_poll", "libc.so.7"), Frame(0x2000, null, "libthr.so.3"), Frame(0x3010, "do_command(THD*)", "mysqld") };
        // An unnamed frame elsewhere in the same module may be another function: another stack.
        var pollUnknownElsewhere = new[] { Frame(0x1000, "_poll", "libc.so.7"), Frame(0x2008, null, "libthr.so.3"), Frame(0x3000, "do_command(THD*)", "mysqld") };
        var open = new[] { Frame(0x5000, "_openat", "libc.so.7"), Frame(0x6000, "my_open", "mysqld") };
        var unknown = new[] { Frame(0xdead0, null, null) };

        var groups = ReportStackGroup.Group([
            Thread(100105, open), Thread(100101, poll), Thread(100102, pollElsewhere), Thread(100103, unknown), Thread(100104, poll), Thread(100106, pollUnknownElsewhere)]);

        Assert.Equal(4, groups.Count);
        Assert.Equal(3, groups[0].Count);
        Assert.Equal([100101, 100102, 100104], groups[0].Lwps);
        Assert.Equal(["_poll", "libthr.so.3+0x1f00", "do_command(THD*)"], groups[0].Frames);
        // Groups of one thread each: ordered by their first LWP.
        Assert.Equal([100103], groups[1].Lwps);
        Assert.Equal(["0xdead0"], groups[1].Frames);
        Assert.Equal([100105], groups[2].Lwps);
        Assert.Equal(["_openat", "my_open"], groups[2].Frames);
        Assert.Equal(["_poll", "libthr.so.3+0x1f08", "do_command(THD*)"], groups[3].Frames);
    }

    [Fact]
    public void Same_functions_in_another_order_or_depth_are_another_stack()
    {
        var ab = new[] { Frame(0x10, "a", "m"), Frame(0x20, "b", "m") };
        var ba = new[] { Frame(0x20, "b", "m"), Frame(0x10, "a", "m") };
        var a = new[] { Frame(0x10, "a", "m") };
        // Names that would read alike if joined with a newline are still different frames.
        var joined = new[] { Frame(0x30, "a\nb", "m") };

        var groups = ReportStackGroup.Group([Thread(100001, ab), Thread(100002, ba), Thread(100003, a), Thread(100004, joined)]);

        Assert.Equal([1, 1, 1, 1], groups.Select(g => g.Count));
        Assert.Equal([100001, 100002, 100003, 100004], groups.Select(g => g.Lwps.Single()));
    }
}

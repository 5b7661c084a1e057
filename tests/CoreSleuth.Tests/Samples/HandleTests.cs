using System.Globalization;
using System.Text.Json;
using CoreSleuth.Cli;

namespace CoreSleuth.Tests.Samples;

/// <summary>
/// <c>coresleuth handle</c> on the incident: MySQL's "OS thread handle" 0x829e76000 (hex, as
/// 5.5/5.6 print it) or 35062767616 (decimal, as 5.7/8.0 do, spec §10) is LWP 100460; an exited
/// thread's struct pthread (tid 1) and addresses that hold no struct pthread are told apart.
/// </summary>
public class HandleTests
{
    private const string Incident = "mysqld-ghost-fifo";

    private static (int Exit, JsonElement Handles, string Stderr) Handle(params string[] handles)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = Program.Run(["handle", SampleSet.CorePath(Incident), .. handles, "--format", "json"], stdout, stderr);
        var json = exit == 0 ? JsonDocument.Parse(stdout.ToString()).RootElement.GetProperty("handles").Clone() : default;
        return (exit, json, stderr.ToString());
    }

    [Theory]
    [InlineData("0x829e76000")]
    [InlineData("35062767616")]
    public void The_load_data_threads_handle_is_lwp_100460_in_hex_and_in_decimal(string handle)
    {
        Assert.Equal(0x829e76000UL, ulong.Parse("35062767616", CultureInfo.InvariantCulture)); // the decimal form is the same pthread_t
        var (exit, handles, stderr) = Handle(handle);
        Assert.True(exit == 0, stderr);
        var h = Assert.Single(handles.EnumerateArray());
        Assert.Equal("0x829e76000", h.GetProperty("handle").GetString());
        Assert.Equal("live", h.GetProperty("status").GetString());
        Assert.Equal(100460, h.GetProperty("lwp").GetInt32());
    }

    [Fact]
    public void Handles_are_listed_by_value_whatever_order_the_arguments_and_innodb_status_give()
    {
        // InnoDB status names 0x801606400 (thread 2), then 0x829e76000 (thread 1); the arguments come in descending order.
        var stdout = new StringWriter();
        string innodb = Path.Combine(SampleSet.Folder, Incident + ".innodb.txt");
        Assert.Equal(0, Program.Run(["handle", SampleSet.CorePath(Incident), "0x829e76000", "0x1", "--innodb-status", innodb], stdout, new StringWriter()));
        var rows = stdout.ToString().Split('\n').Skip(1).TakeWhile(l => l.Length > 0)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(f => $"{f[0]} {f.First(x => x is "argument" or "innodb-status")}");
        Assert.Equal(["0x1 argument", "0x801606400 innodb-status", "0x829e76000 argument", "0x829e76000 innodb-status"], rows);
    }

    [Fact]
    public void The_text_report_names_the_lwp()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, Program.Run(["handle", SampleSet.CorePath(Incident), "0x829e76000"], stdout, new StringWriter()));
        var line = stdout.ToString().Split('\n').Single(l => l.StartsWith("0x829e76000", StringComparison.Ordinal));
        Assert.Contains("35062767616", line);
        Assert.Contains("live", line);
        Assert.Contains("100460", line);
    }

    [Fact]
    public void An_exited_threads_handle_is_terminated_and_addresses_without_a_pthread_are_invalid_with_reasons()
    {
        var b = SampleSet.Build(Incident);
        ulong exited = b.Scenario.ExitedThreads.Single().Pthread!.Value;
        ulong unmapped = 0x900000000;
        ulong statement = b.Process.Image.Labels["statement:100460"];          // text, not a struct pthread
        ulong stackWord = b.Process.OpenPathOf(100460);                        // "/tmp/ghost.fifo" on the stack
        var (exit, handles, stderr) = Handle($"0x{exited:x}", $"0x{unmapped:x}", $"0x{statement:x}", $"0x{stackWord:x}");
        Assert.True(exit == 0, stderr);
        var byHandle = handles.EnumerateArray().ToDictionary(h => h.GetProperty("handle").GetString()!);

        var terminated = byHandle[$"0x{exited:x}"];
        Assert.Equal("terminated", terminated.GetProperty("status").GetString());
        Assert.Contains("TID_TERMINATED", terminated.GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, terminated.GetProperty("lwp").ValueKind);

        var nothing = byHandle[$"0x{unmapped:x}"];
        Assert.Equal("invalid", nothing.GetProperty("status").GetString());
        Assert.Contains("not in the core", nothing.GetProperty("reason").GetString());

        foreach (var notPthread in new[] { statement, stackWord })
        {
            var h = byHandle[$"0x{notPthread:x}"];
            Assert.Equal("invalid", h.GetProperty("status").GetString());
            Assert.Contains("not the LWP of any thread", h.GetProperty("reason").GetString());
        }
    }

    [Theory]
    [MemberData(nameof(SampleSet.All), MemberType = typeof(SampleSet))]
    public void Every_handle_in_the_innodb_text_resolves_to_its_sessions_thread(string name)
    {
        var b = SampleSet.Build(name);
        if (SampleSet.InnodbStatus(name) is not { } innodb) return;
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var args = new List<string> { "handle", SampleSet.CorePath(name), "--innodb-status", Path.Combine(SampleSet.Folder, name + ".innodb.txt"), "--format", "json" };
        if (SampleSet.Sysroot(name) is { } sysroot) args.AddRange(["--sysroot", sysroot]);
        Assert.True(Program.Run([.. args], stdout, stderr) == 0, stderr.ToString());
        var handles = JsonDocument.Parse(stdout.ToString()).RootElement.GetProperty("handles").EnumerateArray().ToList();
        var sessions = Expectations.Threads(b).Where(t => t.Session is not null).ToList();
        Assert.Equal(sessions.Count, handles.Count);
        Assert.Contains("OS thread handle", innodb);
        foreach (var t in sessions)
        {
            var h = handles.Single(h => h.GetProperty("mysqlThreadId").GetInt64() == t.Session!.Id);
            Assert.Equal($"0x{b.Process.PthreadOf(t.Lwp):x}", h.GetProperty("handle").GetString());
            Assert.Equal("live", h.GetProperty("status").GetString());
            Assert.Equal(t.Lwp, h.GetProperty("lwp").GetInt32());
        }
    }
}

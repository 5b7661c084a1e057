using System.Buffers.Binary;
using System.Text.Json;
using CoreSleuth.Tests.Samples;

namespace CoreSleuth.Tests.Cli;

/// <summary>
/// A fact the core does not record is null in JSON, never 0 (docs/json.md, docs/schemas/).
/// gdb writes no NT_PROCSTAT_PROC, NT_PROCSTAT_FILES or NT_THRMISC (spec §2.3): no ppid, uid,
/// start time, emulation, cwd, thread names, wait messages or states. A copy of the gdb sample
/// with pr_pid of NT_PRPSINFO set to 0 records no pid at all.
/// </summary>
public sealed class UnknownIsNullTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("coresleuth-nulls-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static string GdbSample => SampleSet.CorePath("mysqld-ghost-fifo-gdb");

    /// <summary>The gdb sample with pr_pid (offset 116 of struct prpsinfo, spec §3.4) zeroed; notes walked here, not by the reader.</summary>
    private string WithoutPid()
    {
        byte[] b = File.ReadAllBytes(GdbSample);
        long phoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(32));
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(56));
        int zeroed = 0;
        for (int i = 0; i < phnum; i++)
        {
            var ph = b.AsSpan((int)phoff + i * 56);
            if (BinaryPrimitives.ReadUInt32LittleEndian(ph) != 4) continue;
            long off = (long)BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]), size = (long)BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]);
            for (long pos = off; pos + 12 <= off + size;)
            {
                uint namesz = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)pos)), descsz = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)pos + 4));
                uint type = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)pos + 8));
                long desc = pos + 12 + ((namesz + 3) & ~3u);
                if (type == 3 && descsz >= 120) { BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan((int)desc + 116), 0); zeroed++; }
                pos = desc + ((descsz + 3) & ~3u);
            }
        }
        Assert.Equal(1, zeroed);
        string path = Path.Combine(dir, "gdb-no-pid.core");
        File.WriteAllBytes(path, b);
        return path;
    }

    private static JsonElement Json(params string[] args)
    {
        var r = Coresleuth.Run([.. args, "--format", "json"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        return JsonDocument.Parse(r.Stdout).RootElement.Clone();
    }

    private static void AssertNull(JsonElement e, string property) =>
        Assert.True(e.GetProperty(property).ValueKind == JsonValueKind.Null, $"\"{property}\" is {e.GetProperty(property)}, not null");

    [Fact]
    public void Analyze_of_a_gdb_core_gives_null_for_what_gdb_does_not_write()
    {
        var root = Json("analyze", GdbSample);
        Assert.Equal("gdb", root.GetProperty("core").GetProperty("producer").GetString());
        AssertNull(root.GetProperty("process"), "ppid");
        AssertNull(root.GetProperty("process"), "signal");
        foreach (var t in root.GetProperty("threads").EnumerateArray())
        {
            AssertNull(t, "name");
            AssertNull(t, "wait");
            AssertNull(t, "state");
            AssertNull(t, "waitMeaning");
        }
    }

    [Fact]
    public void A_pid_the_core_does_not_record_is_null_in_analyze_and_info_and_a_dash_in_text()
    {
        string core = WithoutPid();
        AssertNull(Json("analyze", core).GetProperty("process"), "pid");
        var info = Json("info", core).GetProperty("process");
        foreach (string p in new[] { "pid", "ppid", "uid", "startTime", "emulation", "workingDirectory", "signal" })
            AssertNull(info, p);
        var text = Coresleuth.Run("analyze", core);
        Assert.Contains("(pid -)", text.Lines[1]);
        var markdown = Coresleuth.Run("analyze", core, "--format", "markdown");
        Assert.Contains("(pid -)", markdown.Lines[0]);
    }

    [Fact]
    public void Threads_of_a_gdb_core_have_null_names_waits_and_states()
    {
        foreach (var t in Json("threads", GdbSample).GetProperty("threads").EnumerateArray())
            foreach (string p in new[] { "name", "wait", "state", "kernelState", "mysql" })
                AssertNull(t, p);
    }
}

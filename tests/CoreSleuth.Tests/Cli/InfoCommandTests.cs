using System.Globalization;
using System.Text.Json;
using CoreSleuth.Report;

namespace CoreSleuth.Tests.Cli;

public class InfoCommandTests
{
    public static TheoryData<string> Cores => new() { "bsi-01c3190a", "bsi-08c8232b", "bsi-26432659", "lldb-x86-64-freebsd13", "lldb-x86-64-freebsd14-multithread" };

    private static JsonElement Json(string name)
    {
        var r = Coresleuth.Run("info", Corpus.Core($"{name}.core"), "--format", "json");
        Assert.True(r.ExitCode == 0, r.ToString());
        return JsonDocument.Parse(r.Stdout).RootElement.Clone();
    }

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void Process_identity_matches_gdb_info_proc(string name)
    {
        var gdb = GdbReference.Load(Corpus.Reference($"{name}.gdb.txt"));
        var p = Json(name).GetProperty("process");
        Assert.Equal(gdb.ProcessId, p.GetProperty("pid").GetInt32());
        // gdb prints pr_psargs; we prefer argv from ps_strings in memory. An 11.0 kernel wrote only the
        // command name into pr_psargs (spec §3.4), so gdb's line can be a prefix of ours.
        Assert.StartsWith(gdb.CommandLine!, p.GetProperty("arguments").GetString());
        Assert.Equal(gdb.Cwd, p.GetProperty("workingDirectory").GetString());
        Assert.Equal(gdb.Exe, p.GetProperty("executable").GetString());
        Assert.Equal(gdb.Signal, $"{p.GetProperty("signal").GetString()}, {p.GetProperty("signalDescription").GetString()}");
        var core = Json(name).GetProperty("core");
        Assert.Equal("kernel", core.GetProperty("producer").GetString()); // corpus README: every x86-64 core was made by the kernel
        Assert.True(core.GetProperty("producerEvidence").GetArrayLength() > 0);
    }

    [CorpusFact]
    public void Arguments_come_from_argv_in_memory_when_the_core_has_it()
    {
        // bsi-08c8232b: pr_psargs is "bsi", but ps_strings (NT_PROCSTAT_PSSTRINGS 0x7fffffffefe0) points at
        // ps_argvstr 0x7fffffffeb70 with ps_nargvstr 2: "bsi", "-o" (read from the PT_LOADs by a separate script).
        var p = Json("bsi-08c8232b").GetProperty("process");
        Assert.Equal(["bsi", "-o"], p.GetProperty("argumentVector").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("bsi -o", p.GetProperty("arguments").GetString());
        Assert.Equal("ps_strings", p.GetProperty("argumentsSource").GetString());
    }

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void Open_files_match_gdb_info_proc_files(string name)
    {
        var gdb = GdbReference.Load(Corpus.Reference($"{name}.gdb.txt"));
        var files = Json(name).GetProperty("openFiles").EnumerateArray().ToList();
        Assert.Equal(gdb.OpenFiles.Count, files.Count);
        for (int i = 0; i < files.Count; i++)
        {
            var f = files[i];
            var g = gdb.OpenFiles[i];
            Assert.Equal(g.Fd, f.GetProperty("descriptor").GetString());
            Assert.Equal(g.Type, f.GetProperty("kind").GetString());
            Assert.Equal(g.Flags, f.GetProperty("flagLetters").GetString());
            Assert.Equal(g.Offset, f.GetProperty("position") is { ValueKind: JsonValueKind.Number } o ? $"0x{o.GetInt64():x}" : "-");
            Assert.Equal(g.Name, f.GetProperty("path").GetString());
        }
    }

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void Mappings_match_gdb_info_proc_mappings(string name)
    {
        var gdb = GdbReference.Load(Corpus.Reference($"{name}.gdb.txt"));
        var maps = Json(name).GetProperty("mappings").EnumerateArray().ToList();
        Assert.Equal(gdb.Mappings.Count, maps.Count);
        for (int i = 0; i < maps.Count; i++)
        {
            var m = maps[i];
            var g = gdb.Mappings[i];
            Assert.Equal(g.Start, GdbReference.Hex(m.GetProperty("start").GetString()!));
            Assert.Equal(g.End, GdbReference.Hex(m.GetProperty("end").GetString()!));
            Assert.Equal(g.Size, GdbReference.Hex(m.GetProperty("size").GetString()!));
            Assert.Equal(g.Offset, GdbReference.Hex(m.GetProperty("offset").GetString()!));
            Assert.Equal(g.Flags, $"{m.GetProperty("protection").GetString()} {m.GetProperty("flags").GetString()}");
            Assert.Equal(g.File, m.GetProperty("path").GetString());
        }
    }

    [CorpusFact]
    public void Coverage_says_which_mappings_the_core_holds()
    {
        // bsi-01c3190a: readelf -l lists 14 PT_LOADs; the executable's text (0x400000, CN--) is not among them,
        // its data page 0x616000 is; the memory-stripped lldb core holds no mapping's bytes (corpus README).
        var maps = Json("bsi-01c3190a").GetProperty("mappings").EnumerateArray()
            .ToDictionary(m => m.GetProperty("start").GetString()!, m => m.GetProperty("coverage").GetProperty("state").GetString());
        Assert.Equal("not-dumped", maps["0x400000"]);
        Assert.Equal("in-core", maps["0x616000"]);
        Assert.Equal(14, maps.Values.Count(s => s == "in-core"));

        var stripped = Json("lldb-x86-64-freebsd13").GetProperty("mappings").EnumerateArray()
            .Select(m => m.GetProperty("coverage").GetProperty("state").GetString()).ToList();
        Assert.DoesNotContain("in-core", stripped);
        Assert.Contains("past-eof", stripped);
    }

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void Auxv_matches_gdb_info_auxv(string name)
    {
        var gdb = GdbReference.Load(Corpus.Reference($"{name}.gdb.txt"));
        var auxv = Json(name).GetProperty("auxv").EnumerateArray().ToList();
        Assert.Equal(gdb.AuxvEntries.Count, auxv.Count);
        for (int i = 0; i < auxv.Count; i++)
        {
            var a = auxv[i];
            var g = gdb.AuxvEntries[i];
            Assert.Equal(g.Type, a.GetProperty("number").GetInt64());
            Assert.Equal(g.Name, a.GetProperty("name").GetString());
            Assert.Equal(g.Description, a.GetProperty("description").GetString());
            if (g.Value.Contains("<error: Cannot access memory", StringComparison.Ordinal))
            {
                // gdb could not read the string; we say why instead.
                Assert.StartsWith(g.Value.Split(' ')[0] + " <unavailable: ", a.GetProperty("display").GetString());
                Assert.Equal(JsonValueKind.Null, a.GetProperty("string").ValueKind);
            }
            else
                Assert.Equal(g.Value, a.GetProperty("display").GetString());
        }
    }

    [CorpusFact]
    public void Text_shows_release_signal_start_time_limits_groups_and_umask()
    {
        var r = Coresleuth.Run("info", Corpus.Core("bsi-01c3190a.core"));
        Assert.Equal(0, r.ExitCode);
        string text = r.Stdout;
        // corpus README: FreeBSD 11.0-STABLE (1100514); gdb: signal SIGSEGV, start time 1500757959.755235, groups 0 5.
        Assert.Matches(@"\n  osreldate\s+1100514 \(FreeBSD 11\.0-STABLE\)", text);
        Assert.Matches(@"\n  pr_osreldate\s+1100514 \(FreeBSD 11\.0-STABLE\)  \(the kernel that wrote the core\)\n", text);
        Assert.Matches(@"\n  signal\s+11 \(SIGSEGV, Segmentation fault\)\n", text);
        string start = DateTimeOffset.FromUnixTimeSeconds(1500757959).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        Assert.Matches($@"\n  start time\s+{start}\.755235 UTC\n", text);
        Assert.Matches(@"\n  cpu\s+infinity\s+infinity\n", text);
        Assert.Contains("Groups:  0 5", text);
        Assert.Matches(@"Umask:\s+0[0-7]{3}\n", text);
    }

    [Theory]
    [InlineData(1001000, "10.1")]
    [InlineData(1100122, "11.0")]
    [InlineData(1100514, "11.0")]
    [InlineData(1300130, "13.0")]
    [InlineData(1400008, "14.0")]
    [InlineData(1400097, "14.0")]
    [InlineData(1302001, "13.2")]
    public void Osreldate_gives_the_release_as_FreeBSD_encodes_it(int osreldate, string version)
    {
        // __FreeBSD_version = major * 100000 + minor * 1000 + patch (FreeBSD Porter's Handbook).
        Assert.Equal(version, FreeBsdRelease.FromOsRelDate(osreldate)!.Version);
    }

    [CorpusFact]
    public void Osreldate_labels_agree_with_the_releases_of_the_corpus_README()
    {
        // README "FreeBSD" column: 13.0-CURRENT (pr_osreldate 1300130), 14.0-CURRENT (1400008), 11.0-STABLE (1100514), 11.0 (1100122):
        // the kernel's pr_osreldate of each core.
        var rows = File.ReadLines(Corpus.ReadMe)
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^\| (\S+)\.core \| [^|]+ \| (\d+)\.(\d+)(-\w+)? \((?:pr_osreldate )?(\d{7})\) \|"))
            .Where(m => m.Success).ToList();
        Assert.Equal(5, rows.Count);
        foreach (var m in rows)
        {
            int osreldate = int.Parse(m.Groups[5].Value, CultureInfo.InvariantCulture);
            var c = Json(m.Groups[1].Value).GetProperty("core");
            Assert.Equal(osreldate, c.GetProperty("producerOsreldate").GetInt32());
            var release = FreeBsdRelease.FromOsRelDate(osreldate)!;
            Assert.Equal(release.Label, c.GetProperty("producerRelease").GetString());
            Assert.Equal($"{m.Groups[2].Value}.{m.Groups[3].Value}", release.Version);
            if (m.Groups[4].Value == "-STABLE") Assert.Equal($"{release.Version}-STABLE", release.Label);
            if (m.Groups[4].Value == "-CURRENT") Assert.Equal($"{release.Version}-CURRENT", release.Label);
            // The README says "11.0 (1100122)": the table's 11.0-RELEASE.
            if (m.Groups[4].Value == "") Assert.Equal($"{release.Version}-RELEASE", release.Label);
        }
    }
}

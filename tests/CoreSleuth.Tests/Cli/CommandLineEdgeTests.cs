using CoreSleuth.Cli;

namespace CoreSleuth.Tests.Cli;

/// <summary>
/// What a new user meets first: options a command does not have, outputs that cannot or must not
/// be written, values in the wrong form. Each is a usage error (exit 2) in one clear line, found
/// before any core is read.
/// </summary>
public sealed class CommandLineEdgeTests : IDisposable
{
    private const string Multithread = "lldb-x86-64-freebsd14-multithread.core";

    private readonly string folder = Directory.CreateTempSubdirectory("coresleuth-cli-edges-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string FileWith(string name, string text)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Every command, with the arguments it needs besides options (the core need not exist).</summary>
    public static TheoryData<string[]> EveryCommand() => new()
    {
        new[] { "analyze", "missing.core" }, new[] { "info", "missing.core" }, new[] { "threads", "missing.core" },
        new[] { "bt", "missing.core" }, new[] { "regs", "missing.core" }, new[] { "mem", "missing.core", "0x1000" },
        new[] { "handle", "missing.core", "0x829e76000" }, new[] { "check", "missing.core" }, new[] { "files", "missing.core" },
    };

    [Theory]
    [MemberData(nameof(EveryCommand))]
    public void Unknown_options_are_usage_errors_in_every_command(string[] command)
    {
        var variants = new (string Option, string[] Args)[]
        {
            ("--bogus", [.. command, "--bogus"]),
            ("--bogus", [command[0], "--bogus", .. command[1..]]),
            ("-x", [command[0], "-x", .. command[1..]]),
            ("--version", [.. command, "--version"]),
        };
        foreach (var (option, args) in variants)
        {
            var r = Coresleuth.Run(args);
            Assert.True(r.ExitCode == Program.ExitUsage, $"{string.Join(' ', args)}\n{r}");
            var errors = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("coresleuth:")).ToList();
            Assert.True(errors.Count == 1, r.ToString());
            Assert.Equal($"coresleuth: {command[0]}: unknown option '{option}'", errors[0]);
            Assert.Empty(r.Stdout);
        }
    }

    [Theory]
    [InlineData("--format", "json")]
    [InlineData("-o", "x.xml")]
    public void Check_does_not_take_options_of_other_commands_as_core_paths(string option, string value)
    {
        var r = Coresleuth.Run("check", folder, option, value);
        Assert.True(r.ExitCode == Program.ExitUsage, r.ToString());
        Assert.StartsWith($"coresleuth: check: unknown option '{option}'", r.Stderr);
        Assert.Empty(r.Stdout);
    }

    [Fact]
    public void Arguments_after_a_double_dash_are_paths_whatever_they_look_like()
    {
        var r = Coresleuth.Run("info", "--", "-odd-name.core");
        Assert.True(r.ExitCode == Program.ExitUnreadableCore, r.ToString());
        Assert.Contains("-odd-name.core: no such file", r.Stderr);
    }

    [Fact]
    public void Unknown_option_of_coresleuth_itself_is_a_usage_error()
    {
        var r = Coresleuth.Run("--bogus");
        Assert.Equal(Program.ExitUsage, r.ExitCode);
        Assert.StartsWith("coresleuth: unknown option '--bogus'", r.Stderr);
    }

    [Fact]
    public void An_output_that_is_a_folder_is_refused_as_a_folder_before_the_core_is_read()
    {
        // The core does not exist: reading it would exit 3.
        var r = Coresleuth.Run("info", Path.Combine(folder, "missing.core"), "--output", folder);
        Assert.True(r.ExitCode == Program.ExitUsage, r.ToString());
        Assert.Contains("it is a folder", r.Stderr);
        Assert.DoesNotContain("permission denied", r.Stderr);
    }

    [Fact]
    public void An_unwritable_junit_file_is_refused_before_any_core_is_checked()
    {
        FileWith("a.core", "not a core");
        string notAFolder = FileWith("plain-file", "");
        var r = Coresleuth.Run("check", folder, "--junit", Path.Combine(notAFolder, "y.xml"));
        Assert.True(r.ExitCode == Program.ExitUsage, r.ToString());
        Assert.Empty(r.Stdout); // no core was checked
        Assert.Contains("cannot write the JUnit file", r.Stderr);

        var toFolder = Coresleuth.Run("check", folder, "--junit", folder);
        Assert.True(toFolder.ExitCode == Program.ExitUsage, toFolder.ToString());
        Assert.Empty(toFolder.Stdout);
        Assert.Contains("it is a folder", toFolder.Stderr);
    }

    [Theory]
    [InlineData("analyze")]
    [InlineData("info")]
    [InlineData("threads")]
    public void An_output_that_is_the_core_is_refused_and_the_core_is_left_alone(string command)
    {
        string core = FileWith("X.core", "the core");
        var r = Coresleuth.Run(command, core, "-o", core);
        Assert.True(r.ExitCode == Program.ExitUsage, r.ToString());
        Assert.Contains("it is an input of this command (CORE)", r.Stderr);
        Assert.Equal("the core", File.ReadAllText(core));
        Assert.Single(Directory.GetFiles(folder));
    }

    [Fact]
    public void An_output_that_links_to_an_input_is_refused()
    {
        string core = FileWith("X.core", "the core");
        string innodb = FileWith("innodb.txt", "status");
        string sub = Directory.CreateDirectory(Path.Combine(folder, "sub")).FullName;
        string linkToCore = Path.Combine(sub, "report.txt");
        File.CreateSymbolicLink(linkToCore, core);
        string linkedFolder = Path.Combine(folder, "linked");
        Directory.CreateSymbolicLink(linkedFolder, folder);

        foreach (var (output, input) in new[] { (linkToCore, "CORE"), (Path.Combine(linkedFolder, "X.core"), "CORE"),
                                                (Path.Combine(sub, "..", "innodb.txt"), "--innodb-status") })
        {
            var r = Coresleuth.Run("analyze", core, "--innodb-status", innodb, "--output", output);
            Assert.True(r.ExitCode == Program.ExitUsage, $"{output}\n{r}");
            Assert.Contains($"it is an input of this command ({input})", r.Stderr);
        }
        Assert.Equal("the core", File.ReadAllText(core));
        Assert.Equal("status", File.ReadAllText(innodb));
    }

    [Fact]
    public void An_output_that_is_a_hard_link_to_an_input_is_refused()
    {
        if (OperatingSystem.IsWindows()) return;
        string core = FileWith("X.core", "the core");
        string innodb = FileWith("innodb.txt", "status");
        string sub = Directory.CreateDirectory(Path.Combine(folder, "sub")).FullName;
        string linkToCore = Path.Combine(sub, "report.txt");
        string linkToInnodb = Path.Combine(folder, "innodb-copy.txt");
        foreach (var (target, link) in new[] { (core, linkToCore), (innodb, linkToInnodb) })
        {
            using var ln = System.Diagnostics.Process.Start("ln", [target, link])!;
            ln.WaitForExit();
            Assert.Equal(0, ln.ExitCode);
        }

        foreach (var (output, input) in new[] { (linkToCore, "CORE"), (linkToInnodb, "--innodb-status") })
        {
            var r = Coresleuth.Run("analyze", core, "--innodb-status", innodb, "--output", output);
            Assert.True(r.ExitCode == Program.ExitUsage, $"{output}\n{r}");
            Assert.Equal($"coresleuth: {output}: cannot write the report: it is an input of this command ({input}) under another name (a hard link); it would be overwritten\n", r.Stderr);
        }
        Assert.Equal("the core", File.ReadAllText(core));
        Assert.Equal("status", File.ReadAllText(innodb));
        // A file that merely has the same contents is another file: it may be overwritten.
        string copy = FileWith("copy.txt", "the core");
        Assert.NotEqual(Program.ExitUsage, Coresleuth.Run("info", core, "--output", copy).ExitCode);
    }

    [Fact]
    public void A_junit_file_that_is_a_core_or_an_expectation_is_refused()
    {
        string core = FileWith("X.core", "the core");
        string expect = FileWith("X.expect.json", "{}");
        foreach (string junit in new[] { core, expect })
        {
            var r = Coresleuth.Run("check", core, "--junit", junit);
            Assert.True(r.ExitCode == Program.ExitUsage, r.ToString());
            Assert.Empty(r.Stdout);
        }
        Assert.Equal("the core", File.ReadAllText(core));
        Assert.Equal("{}", File.ReadAllText(expect));
    }

    [Fact]
    public void A_failed_run_leaves_the_old_output_file_as_it_was()
    {
        string core = FileWith("bad.core", "not a core at all");
        string output = FileWith("report.txt", "the old report");
        var r = Coresleuth.Run("info", core, "-o", output);
        Assert.True(r.ExitCode == Program.ExitUnreadableCore, r.ToString());
        Assert.Equal("the old report", File.ReadAllText(output));
        Assert.Equal(2, Directory.GetFiles(folder).Length); // no temporary file left beside it
    }

    [CorpusFact]
    public void A_report_replaces_the_old_output_file_and_leaves_no_temporary_file()
    {
        string output = FileWith("report.txt", "the old report");
        var r = Coresleuth.Run("threads", Corpus.Core(Multithread), "-o", output);
        Assert.True(r.ExitCode == Program.ExitSuccess, r.ToString());
        Assert.Equal(Coresleuth.Run("threads", Corpus.Core(Multithread)).Stdout, File.ReadAllText(output));
        Assert.Single(Directory.GetFiles(folder));
    }

    [Theory]
    [InlineData("bt")]
    [InlineData("regs")]
    public void A_malformed_lwp_is_named_in_plain_words(string command)
    {
        var r = Coresleuth.Run(command, "missing.core", "--lwp", "abc");
        Assert.Equal(Program.ExitUsage, r.ExitCode);
        Assert.StartsWith("coresleuth: --lwp: 'abc' is not an LWP number", r.Stderr);
        Assert.DoesNotContain("System.", r.Stderr);
    }

    [CorpusFact]
    public void An_lwp_can_be_given_in_hex()
    {
        var hex = Coresleuth.Run("regs", Corpus.Core(Multithread), "--lwp", "0x18988");
        var dec = Coresleuth.Run("regs", Corpus.Core(Multithread), "--lwp", "100744");
        Assert.True(hex.ExitCode == Program.ExitSuccess, hex.ToString());
        Assert.Equal(dec.Stdout, hex.Stdout);
    }

    [Fact]
    public void An_unknown_fail_on_kind_is_one_plain_line()
    {
        var r = Coresleuth.Run("analyze", "missing.core", "--fail-on", "foo");
        Assert.Equal(Program.ExitUsage, r.ExitCode);
        Assert.StartsWith("coresleuth: --fail-on must be fifo, deadlock, blocked, semaphore or any, not 'foo'\n", r.Stderr);
        Assert.DoesNotContain("\\n", r.Stderr);
        Assert.DoesNotContain("\\t", r.Stderr);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("99999999999")]
    public void A_malformed_jobs_count_is_a_usage_error(string jobs)
    {
        var r = Coresleuth.Run("check", folder, "--jobs", jobs);
        Assert.True(r.ExitCode == Program.ExitUsage, r.ToString());
        Assert.StartsWith($"coresleuth: --jobs must be a number between 1 and 1024, not '{jobs}'", r.Stderr);
    }
}

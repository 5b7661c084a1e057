using CoreSleuth.Cli;

namespace CoreSleuth.Tests.Cli;

public class ExitCodeTests
{
    private const string Bsi = "bsi-01c3190a.core", Multithread = "lldb-x86-64-freebsd14-multithread.core";

    [CorpusTheory]
    [InlineData("info")]
    [InlineData("threads")]
    [InlineData("regs")]
    [InlineData("regs", "--all")]
    public void Commands_on_a_real_core_exit_0_with_a_report_on_stdout_and_nothing_on_stderr(params string[] command)
    {
        var r = Coresleuth.Run([.. command, Corpus.Core(Bsi)]);
        Assert.True(r.ExitCode == Program.ExitSuccess, r.ToString());
        Assert.NotEmpty(r.Stdout);
        Assert.Empty(r.Stderr);
    }

    [CorpusTheory]
    [InlineData("lldb-i386-freebsd13.core", "32-bit")]
    [InlineData("lldb-aarch64-freebsd14-multithread.core", "arm64")]
    public void Cores_of_other_architectures_exit_3_with_one_line_naming_what_they_are(string core, string what)
    {
        foreach (string command in new[] { "info", "threads", "regs" })
        {
            var r = Coresleuth.Run(command, Corpus.Core(core));
            Assert.True(r.ExitCode == Program.ExitUnreadableCore, r.ToString());
            AssertOneErrorLine(r, Corpus.Core(core));
            Assert.Contains(what, r.Stderr);
        }
    }

    [Fact]
    public void A_file_that_is_not_ELF_exits_3()
    {
        string path = Path.Combine(Path.GetTempPath(), $"coresleuth-not-elf-{Guid.NewGuid():n}.core");
        File.WriteAllText(path, "#!/bin/sh\necho this is not a core\n");
        try
        {
            var r = Coresleuth.Run("info", path);
            Assert.Equal(Program.ExitUnreadableCore, r.ExitCode);
            AssertOneErrorLine(r, path);
            Assert.Contains("not an ELF file", r.Stderr);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void An_empty_file_exits_3()
    {
        string path = Path.GetTempFileName();
        try
        {
            var r = Coresleuth.Run("threads", path);
            Assert.Equal(Program.ExitUnreadableCore, r.ExitCode);
            AssertOneErrorLine(r, path);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_missing_file_exits_3_saying_so()
    {
        string path = Path.Combine(Path.GetTempPath(), $"coresleuth-missing-{Guid.NewGuid():n}.core");
        var r = Coresleuth.Run("regs", path);
        Assert.Equal(Program.ExitUnreadableCore, r.ExitCode);
        AssertOneErrorLine(r, path);
        Assert.Contains("no such file", r.Stderr);
    }

    [Fact]
    public void A_directory_exits_3()
    {
        var r = Coresleuth.Run("info", Path.GetTempPath());
        Assert.Equal(Program.ExitUnreadableCore, r.ExitCode);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData]
    [InlineData("frobnicate")]
    [InlineData("threads")]
    [InlineData("info", "a.core", "--format", "xml")]
    [InlineData("info", "a.core", "--no-such-option")]
    [InlineData("mem", "a.core")]
    [InlineData("mem", "a.core", "not-an-address")]
    [InlineData("mem", "a.core", "0x")]
    [InlineData("mem", "a.core", "0x10000000000000000")]
    [InlineData("mem", "a.core", "-5")]
    [InlineData("mem", "a.core", "0x1000", "--count", "0")]
    [InlineData("mem", "a.core", "0x1000", "--count", "many")]
    [InlineData("regs", "a.core", "--lwp", "x")]
    public void Usage_errors_exit_2_before_opening_any_core(params string[] args)
    {
        var r = Coresleuth.Run(args);
        Assert.True(r.ExitCode == Program.ExitUsage, r.ToString());
        Assert.Empty(r.Stdout);
        Assert.StartsWith("coresleuth: ", r.Stderr);
        Assert.Contains("--help", r.Stderr);
    }

    [CorpusFact]
    public void An_unknown_LWP_exits_2_listing_the_LWPs_of_the_core()
    {
        var r = Coresleuth.Run("regs", Corpus.Core(Multithread), "--lwp", "12345");
        Assert.Equal(Program.ExitUsage, r.ExitCode);
        Assert.Empty(r.Stdout);
        AssertOneErrorLine(r, Corpus.Core(Multithread));
        // The LWPs as gdb lists them for this core.
        foreach (var (_, lwp, _) in GdbReference.Load(Corpus.Reference("lldb-x86-64-freebsd14-multithread.gdb.txt")).Threads)
            Assert.Contains(lwp.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Stderr);
    }

    [CorpusFact]
    public void Help_of_every_command_exits_0_and_shows_an_example()
    {
        foreach (string command in new[] { "info", "threads", "regs", "mem" })
        {
            var r = Coresleuth.Run(command, "--help");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains($"coresleuth {command} <CORE>", r.Stdout);
            Assert.Matches($@"Examples?:\n  coresleuth {command} \S+\.core", r.Stdout);
        }
    }

    [CorpusFact]
    public void Output_option_writes_the_same_report_to_the_file_and_nothing_to_stdout()
    {
        string path = Path.Combine(Path.GetTempPath(), $"coresleuth-out-{Guid.NewGuid():n}.txt");
        try
        {
            var toStdout = Coresleuth.Run("threads", Corpus.Core(Multithread));
            var toFile = Coresleuth.Run("threads", Corpus.Core(Multithread), "--output", path);
            Assert.Equal(0, toFile.ExitCode);
            Assert.Empty(toFile.Stdout);
            Assert.Equal(toStdout.Stdout, File.ReadAllText(path));
        }
        finally { File.Delete(path); }
    }

    [CorpusFact]
    public void An_unwritable_output_file_exits_2_without_a_trace()
    {
        string path = Path.Combine(Path.GetTempPath(), $"coresleuth-no-dir-{Guid.NewGuid():n}", "out.txt");
        var r = Coresleuth.Run("threads", Corpus.Core(Multithread), "-o", path);
        Assert.Equal(Program.ExitUsage, r.ExitCode);
        AssertOneErrorLine(r, path);
    }

    private static void AssertOneErrorLine(CliResult r, string path)
    {
        Assert.Empty(r.Stdout);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, r.ToString());
        Assert.StartsWith($"coresleuth: {path}: ", lines[0]);
        Assert.DoesNotContain("   at ", r.Stderr); // no stack trace
    }
}
